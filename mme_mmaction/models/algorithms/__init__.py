from .mam2 import MAM2
from .masked_video_pretrainer import MaskedVideoPretrainer
from .mme import MME
from .motionmae import MotionMAE

__all__ = ['MAM2', 'MME', 'MaskedVideoPretrainer', 'MotionMAE']

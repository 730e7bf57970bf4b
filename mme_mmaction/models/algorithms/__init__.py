from .masked_video_pretrainer import MaskedVideoPretrainer
from .mme import MME
from .motionmae import MotionMAE

__all__ = ['MME', 'MaskedVideoPretrainer', 'MotionMAE']

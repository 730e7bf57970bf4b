from .masked_video_pretrainer import MaskedVideoPretrainer
from .mme import MME

__all__ = ['MME', 'MaskedVideoPretrainer']

from .mme_head import MMEPretrainHead
from .pixel_head import PixelPretrainHead

__all__ = ['MMEPretrainHead', 'PixelPretrainHead']

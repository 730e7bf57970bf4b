from .code_head import CodePredictionHead
from .mme_head import MMEPretrainHead
from .pixel_head import PixelPretrainHead

__all__ = ['CodePredictionHead', 'MMEPretrainHead', 'PixelPretrainHead']

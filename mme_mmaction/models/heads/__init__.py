from .base import MaskedTokenHead
from .code_head import CodePredictionHead
from .regression_head import MaskedRegressionHead

__all__ = ['CodePredictionHead', 'MaskedRegressionHead', 'MaskedTokenHead']

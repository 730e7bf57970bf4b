from .mme_head import MMEPretrainHead

__all__ = ['MMEPretrainHead']

from .mme import MME

__all__ = ['MME']

from .hog import HOGGenerator
from .pixel import PixelTargetGenerator

__all__ = ['HOGGenerator', 'PixelTargetGenerator']

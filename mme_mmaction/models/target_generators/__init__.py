from .hog import HOGGenerator

__all__ = ['HOGGenerator']

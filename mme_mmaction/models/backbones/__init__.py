from .masked_motion_encoder import MaskedMotionEncoder

__all__ = ['MaskedMotionEncoder']

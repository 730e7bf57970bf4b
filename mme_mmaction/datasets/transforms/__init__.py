from .decode import DecordDecodeWithTrajectoryFrames
from .trajectory import TrajectoryTarget
from .tube_mask import TubeMaskGenerator

__all__ = [
    'DecordDecodeWithTrajectoryFrames', 'TrajectoryTarget',
    'TubeMaskGenerator'
]

from .bad_input import BadInputError
from .decode import CheckedDecordInit, DecordDecodeWithTrajectoryFrames
from .trajectory import TrajectoryTarget
from .tube_mask import TubeMaskGenerator

__all__ = [
    'BadInputError', 'CheckedDecordInit', 'DecordDecodeWithTrajectoryFrames',
    'TrajectoryTarget', 'TubeMaskGenerator'
]

from .bad_input import BadInputError
from .decode import (CheckedDecordDecode, CheckedDecordInit,
                     DecordDecodeWithTrajectoryFrames)
from .motion_mask import MotionGuidedMaskGenerator
from .pack import PackPretrainInputs
from .time_range import TimeRange
from .trajectory import TrajectoryTarget
from .tube_mask import SliceRandomMaskGenerator, TubeMaskGenerator

__all__ = [
    'BadInputError', 'CheckedDecordDecode', 'CheckedDecordInit',
    'DecordDecodeWithTrajectoryFrames', 'MotionGuidedMaskGenerator',
    'PackPretrainInputs', 'SliceRandomMaskGenerator', 'TimeRange',
    'TrajectoryTarget', 'TubeMaskGenerator'
]

from .bad_input import BadInputError
from .decode import (CheckedDecordDecode, CheckedDecordInit,
                     DecordDecodeWithTrajectoryFrames)
from .motion_mask import MotionGuidedMaskGenerator
from .pack import PackPretrainInputs
from .trajectory import TrajectoryTarget
from .tube_mask import SliceRandomMaskGenerator, TubeMaskGenerator

__all__ = [
    'BadInputError', 'CheckedDecordDecode', 'CheckedDecordInit',
    'DecordDecodeWithTrajectoryFrames', 'MotionGuidedMaskGenerator',
    'PackPretrainInputs', 'SliceRandomMaskGenerator', 'TrajectoryTarget',
    'TubeMaskGenerator'
]

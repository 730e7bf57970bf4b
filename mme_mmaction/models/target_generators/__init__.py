from .base import TargetGenerator
from .frame_difference import FrameDifferenceTarget
from .hog import HOGGenerator
from .pixel import PixelTargetGenerator
from .trajectory import TrajectoryTargetGenerator
from .trajectory_norms import (TRAJ_NORMS, normalize_trajectory_tokens,
                               patch_std, trajectory_channels)
from .trajectory_tokens import token_validity, trajectory_tokens
from .vqgan import VQGANTokenizer

__all__ = [
    'FrameDifferenceTarget', 'HOGGenerator', 'PixelTargetGenerator',
    'TRAJ_NORMS', 'TargetGenerator', 'TrajectoryTargetGenerator',
    'VQGANTokenizer', 'normalize_trajectory_tokens', 'patch_std',
    'token_validity', 'trajectory_channels', 'trajectory_tokens'
]

"""Motion targets: optical flow, point tracking, per-token normalisation.

Plain numpy / OpenCV / torch code with no registries.
"""
from .flow import OpticalFlow
from .patch_std import patch_std, token_validity, trajectory_tokens
from .tracking import bilinear_sample, cell_centres, track_points

__all__ = [
    'OpticalFlow', 'bilinear_sample', 'cell_centres', 'patch_std',
    'token_validity', 'track_points', 'trajectory_tokens'
]

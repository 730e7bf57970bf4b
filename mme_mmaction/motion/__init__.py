"""Motion: optical flow, point tracking, trajectory storage.

Plain numpy / OpenCV / torch code with no registries.
"""
from .consistency import PhotometricCheck
from .dense import native_grid_trajectories
from .flow import DEFAULT_FLOW, OpticalFlow
from .lucas_kanade import LucasKanadeTracker
from .tracking import (bilinear_sample, cell_centres, inside_frame,
                       track_points)
from .storage import (ReleaseFlowReader, TrajectoryReader, dequantize_flow,
                      quantize_flow, read_manifest, read_release_trajectories,
                      write_manifest, write_release_flow,
                      write_release_trajectories, write_trajectories)

__all__ = [
    'DEFAULT_FLOW', 'LucasKanadeTracker', 'OpticalFlow', 'PhotometricCheck',
    'bilinear_sample', 'inside_frame',
    'native_grid_trajectories', 'cell_centres', 'track_points',
    'ReleaseFlowReader', 'TrajectoryReader', 'dequantize_flow',
    'quantize_flow', 'read_manifest', 'read_release_trajectories',
    'write_manifest', 'write_release_flow', 'write_release_trajectories',
    'write_trajectories'
]

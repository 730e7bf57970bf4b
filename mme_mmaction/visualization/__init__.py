"""Pictures of the pre-training targets and predictions of one clip.

Used by ``tools/visualize_targets.py``; matplotlib through its Agg canvas
(no pyplot state), PIL for GIFs.
"""
from .clip import Clip, choose_sampling, sample_clip
from .figures import draw_frames
from .flow import draw_flow, flow_to_rgb
from .hog import cell_histograms, draw_hog, hog_glyphs
from .masks import draw_mask, draw_mask_comparison
from .predictions import draw_predictions, predict
from .trajectories import draw_trajectories, trajectory_paths

__all__ = [
    'Clip', 'cell_histograms', 'choose_sampling', 'draw_flow', 'draw_frames',
    'draw_hog', 'draw_mask', 'draw_mask_comparison', 'draw_predictions',
    'draw_trajectories', 'flow_to_rgb', 'hog_glyphs', 'predict',
    'sample_clip', 'trajectory_paths'
]

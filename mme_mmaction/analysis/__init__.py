"""Measurements of targets and runs, used by ``tools/analysis``."""
from .logs import first_and_last, logged_scalars
from .samples import add_sample_args, config_from_args, seeded_samples
from .tables import ratio_spread, spread
from .target_stats import TargetStats, nearest_visible

__all__ = [
    'TargetStats', 'add_sample_args', 'config_from_args', 'first_and_last',
    'logged_scalars', 'nearest_visible', 'ratio_spread', 'seeded_samples',
    'spread'
]

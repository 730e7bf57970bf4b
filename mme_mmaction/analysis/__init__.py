"""Measurements of targets and runs, used by ``tools/analysis``."""
from .samples import add_sample_args, config_from_args, seeded_samples
from .target_stats import TargetStats, nearest_visible

__all__ = [
    'TargetStats', 'add_sample_args', 'config_from_args', 'nearest_visible',
    'seeded_samples'
]

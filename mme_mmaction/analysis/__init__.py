"""Measurements of targets and runs, used by ``tools/analysis``."""
from .samples import seeded_samples
from .target_stats import TargetStats, nearest_visible

__all__ = ['TargetStats', 'nearest_visible', 'seeded_samples']

"""Where trajectories come from: online flow, or files made offline.

Each source is registered in
:data:`~mme_mmaction.registry.TRAJECTORY_SOURCES` under a short name (used
in configs) and its class name.
"""
from .base import TrajectorySource
from .lucas_kanade import LucasKanadeFlow
from .online import OnlineFlow
from .release_flow import ReleaseFlowVideos
from .stored import StoredTrajectories

__all__ = [
    'LucasKanadeFlow', 'OnlineFlow', 'ReleaseFlowVideos', 'StoredTrajectories',
    'TrajectorySource'
]

"""Where trajectories come from: online flow, or files made offline.

Each source is registered in
:data:`~mme_mmaction.registry.TRAJECTORY_SOURCES` under a short name (used
in configs) and its class name.
"""
from .base import TrajectorySource
from .online import OnlineFlow
from .release_flow import ReleaseFlowVideos
from .stored import StoredTrajectories

__all__ = [
    'OnlineFlow', 'ReleaseFlowVideos', 'StoredTrajectories',
    'TrajectorySource'
]

from .atomic_checkpoint_hook import AtomicCheckpointHook
from .clip_visualization_hook import ClipVisualizationHook
from .finite_loss_hook import FiniteLossHook
from .trajectory_check_hook import TrajectoryCheckHook

__all__ = [
    'AtomicCheckpointHook', 'ClipVisualizationHook', 'FiniteLossHook',
    'TrajectoryCheckHook'
]

"""The plugin's own registry; every model and transform registers into
MMAction2's (``mmaction.registry``)."""
from mmengine.registry import Registry

#: Where :class:`~mme_mmaction.datasets.transforms.TrajectoryTarget` gets
#: trajectories: classes with ``read(results, seeds) -> (steps, valid)``.
TRAJECTORY_SOURCES = Registry(
    'trajectory source',
    locations=['mme_mmaction.datasets.transforms.trajectory_sources'])

"""The plugin's own registry; every model and transform registers into
MMAction2's (``mmaction.registry``)."""
from mmengine.registry import Registry

#: Where :class:`~mme_mmaction.datasets.transforms.TrajectoryTarget` gets
#: trajectories: classes with ``read(results, seeds) -> (steps, valid)``.
#: Its scope is MMAction2's, the default scope our configs build in, so
#: building a source finds it without falling back (and warning).
TRAJECTORY_SOURCES = Registry(
    'trajectory source',
    scope='mmaction',
    locations=['mme_mmaction.datasets.transforms.trajectory_sources'])

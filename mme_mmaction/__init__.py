"""mme_mmaction: motion-aware masked video pre-training for MMAction2.

Importing the package applies the stack fixes of :mod:`mme_mmaction.compat`
and registers every component into MMAction2's registries, so a config only
needs ``custom_imports = dict(imports=['mme_mmaction'])``.
"""
from . import compat

compat.apply()

from . import datasets, engine, models  # noqa: E402,F401

__version__ = '0.1.0'

"""Building a part whose sizes other parts determine."""
import inspect
from typing import Any, Tuple

from mmaction.registry import MODELS
from torch import nn


def _accepts(cfg: dict, key: str) -> bool:
    """Whether the registered class of ``cfg`` takes the argument ``key``."""
    cls = MODELS.get(cfg['type']) if isinstance(cfg['type'], str) \
        else cfg['type']
    if cls is None:
        return True  # MODELS.build names the unknown type
    parameters = inspect.signature(cls.__init__).parameters
    return key in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


def build_sized(cfg: dict, name: str, **sizes: Tuple[Any, str]) -> nn.Module:
    """Build ``cfg`` with ``sizes`` filled in, so each size has one source.

    A size is filled in only where the part takes that argument (a pixel
    target takes ``tubelet_size``, a trajectory target does not).

    Args:
        cfg (dict): The part's config; sizes may be left out.
        name (str): Where the part sits in the model config, for errors,
            e.g. ``'neck'``.
        **sizes (tuple): Argument -> (value, the config key or part it
            comes from, e.g. ``'model.backbone.patch_size'``).

    Returns:
        nn.Module: The built part.

    Raises:
        ValueError: If ``cfg`` sets a size to another value, naming both
            config keys.
    """
    cfg = dict(cfg)
    for key, (value, source) in sizes.items():
        if not _accepts(cfg, key):
            continue
        if cfg.get(key) is None:
            cfg[key] = value
        elif cfg[key] != value:
            raise ValueError(
                f'model.{name}.{key}={cfg[key]} but {source} gives {value}: '
                f'remove model.{name}.{key} from the config, it is taken '
                f'from {source}.')
    return MODELS.build(cfg)

"""Building a part whose sizes other parts determine."""
from mmaction.registry import MODELS
from torch import nn


def build_sized(cfg: dict, name: str, **sizes: int) -> nn.Module:
    """Build ``cfg`` with ``sizes`` filled in, so each size has one source.

    Args:
        cfg (dict): The part's config; sizes may be left out.
        name (str): Where the part sits in the model config, for errors,
            e.g. ``'neck'``.
        **sizes (int): Arguments and the values other parts give them.

    Returns:
        nn.Module: The built part.

    Raises:
        ValueError: If ``cfg`` sets a size to another value.
    """
    cfg = dict(cfg)
    for key, value in sizes.items():
        if cfg.get(key) is None:
            cfg[key] = value
        elif cfg[key] != value:
            raise ValueError(
                f'model.{name}.{key}={cfg[key]} but the model needs {value} '
                'there (taken from the parts before it): remove '
                f'model.{name}.{key} from the config.')
    return MODELS.build(cfg)

"""Errors that name the setting behind a size mismatch."""
from torch import Tensor


def check_width(target: Tensor, width: int, setting: str) -> None:
    """Raise if targets do not have the width a head predicts.

    Args:
        target (Tensor): (..., D) targets.
        width (int): Values per token the head predicts.
        setting (str): The head argument that sets ``width``.

    Raises:
        ValueError: If ``D != width``.
    """
    if target.shape[-1] != width:
        raise ValueError(
            f'The head predicts {width} values per token ({setting}) but '
            f'the targets have {target.shape[-1]}: leave {setting} unset so '
            'the algorithm takes it from the target generator.')

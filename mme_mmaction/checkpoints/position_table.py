"""``backbone.pos_embed`` of a converted checkpoint, for its token grid.

A source table is copied, or resampled with
:func:`~mme_mmaction.models.utils.resample_pos_embed` when the token grid
differs; without one (the release has none) it is the sinusoid table for
the target grid. The grid of a source table is the one given, the one its
checkpoint stores (see :func:`~mme_mmaction.checkpoints.stored_clip`), or
told from its size (:func:`infer_grid`).
"""
import math
from typing import Mapping, Optional, Tuple

from mmaction.models.backbones.vit_mae import get_sinusoid_encoding
from torch import Tensor

from mme_mmaction.models.utils import resample_pos_embed

from .clip_size import PROJECTION, Grid


class UnknownGridError(ValueError):
    """The token grid of a position table cannot be told from its size.

    Attributes:
        problem (str): What is unknown, without the fix, which differs
            between the Python API (``src_grid``) and the command line.
    """

    def __init__(self, problem: str) -> None:
        super().__init__(f"{problem}; pass src_grid=(T', H', W').")
        self.problem = problem


def infer_grid(num_tokens: int, like: Grid) -> Grid:
    """The token grid of a position table, told from the target grid.

    ``like`` itself if it has ``num_tokens`` tokens; otherwise the one grid
    that shares its spatial size or its (square) time length.

    Raises:
        UnknownGridError: If no or more than one grid fits.
    """
    if num_tokens == math.prod(like):
        return tuple(like)
    t, h, w = like
    candidates = set()
    if num_tokens % (h * w) == 0:
        candidates.add((num_tokens // (h * w), h, w))
    side = math.isqrt(num_tokens // t)
    if side**2 * t == num_tokens:
        candidates.add((t, side, side))
    if len(candidates) != 1:
        raise UnknownGridError(
            f'cannot tell the token grid of a {num_tokens}-token position '
            f'table from its size (candidates: {sorted(candidates)})')
    return candidates.pop()


def target_pos_embed(state: Mapping[str, Tensor], grid: Grid,
                     src_grid: Optional[Grid]) -> Tuple[Tensor, str]:
    """``backbone.pos_embed`` for the target and how it was obtained.

    Args:
        state (Mapping[str, Tensor]): The source state dict, in our layout.
        grid (tuple[int, int, int]): The target token grid (T', H', W').
        src_grid (tuple[int, int, int], optional): The grid of the source
            table; told from its size by :func:`infer_grid` if None.

    Returns:
        tuple[Tensor, str]: The table, (1, T' * H' * W', C), and a
        sentence saying how it was obtained.

    Raises:
        UnknownGridError: If ``src_grid`` is None and cannot be told.
        ValueError: If the source has neither a table nor a patch
            embedding.
    """
    source = state.get('backbone.pos_embed')
    if source is None:
        projection = state.get(PROJECTION)
        if projection is None:
            raise ValueError('The source has neither a position table nor a '
                             'patch embedding to size one.')
        table = get_sinusoid_encoding(math.prod(grid), projection.shape[0])
        return table, f'sinusoid table for the token grid {grid}'
    told = ''
    if src_grid is None:
        src_grid = infer_grid(source.shape[1], grid)
        told = f' (told from its {source.shape[1]} tokens)'
    if src_grid == grid:
        return source, f"copied: the token grid {grid} is the source's{told}"
    return (resample_pos_embed(source, src_grid, grid),
            f'resampled: the target token grid {grid} differs from the '
            f"source's {src_grid}{told}")

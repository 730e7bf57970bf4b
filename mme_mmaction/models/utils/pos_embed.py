"""Position tables at another clip size."""
import math
from typing import Sequence

import torch.nn.functional as F
from torch import Tensor


def resample_pos_embed(pos_embed: Tensor, src_grid: Sequence[int],
                       dst_grid: Sequence[int]) -> Tensor:
    """Resample a position table to another token grid.

    Spatially bicubic per time slice (as MMAction2's ``VisionTransformer``
    does at another image size), temporally linear; ``align_corners=False``
    both.

    Args:
        pos_embed (Tensor): (1, T0 * H0 * W0, C), tokens in (t, h, w) order.
        src_grid (Sequence[int]): (T0, H0, W0).
        dst_grid (Sequence[int]): (T, H, W).

    Returns:
        Tensor: (1, T * H * W, C); ``pos_embed`` itself if the grids are
        equal.
    """
    src_grid, dst_grid = tuple(src_grid), tuple(dst_grid)
    if pos_embed.shape[1] != math.prod(src_grid):
        raise ValueError(f'A position table of {pos_embed.shape[1]} tokens '
                         f'does not fit the grid {src_grid}.')
    if src_grid == dst_grid:
        return pos_embed
    t, h, w = dst_grid
    channels = pos_embed.shape[-1]
    table = pos_embed.float().reshape(*src_grid, channels)
    table = table.permute(0, 3, 1, 2)  # (T0, C, H0, W0)
    if (h, w) != src_grid[1:]:
        table = F.interpolate(
            table, size=(h, w), mode='bicubic', align_corners=False)
    if t != src_grid[0]:
        # (1, C * H * W, T0): linear in time, each position on its own.
        table = table.permute(1, 2, 3, 0).reshape(1, -1, src_grid[0])
        table = F.interpolate(
            table, size=t, mode='linear', align_corners=False)
        table = table.reshape(channels, h, w, t).permute(3, 0, 1, 2)
    table = table.permute(0, 2, 3, 1).reshape(1, -1, channels)
    return table.to(pos_embed.dtype)

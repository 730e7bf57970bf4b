"""Per-cell trajectories grouped into tokens (docs/method.md §4.4)."""
from einops import rearrange
from torch import Tensor


def trajectory_tokens(traj: Tensor, cells_per_patch: int = 2) -> Tensor:
    """Group per-cell trajectories into tokens.

    Args:
        traj (Tensor): (B, T', L, 2, Hc, Wc) per-step displacements of the
            cell seeds of every tubelet, channel order (dx, dy).
        cells_per_patch (int): Cells per patch side (patch 16 / cell 8 = 2).

    Returns:
        Tensor: (B, N, 2, L, k*k) with N = T' * H' * W' tokens in (t, h, w)
        order and the k*k sub-trajectories in (h2, w2) order.
    """
    return rearrange(
        traj,
        'b t step c (h h2) (w w2) -> b (t h w) c step (h2 w2)',
        h2=cells_per_patch,
        w2=cells_per_patch)


def token_validity(valid: Tensor, cells_per_patch: int = 2) -> Tensor:
    """A token is valid if any of its sub-trajectories is.

    Args:
        valid (Tensor): (B, T', Hc, Wc) bool validity of every cell seed.
        cells_per_patch (int): Cells per patch side.

    Returns:
        Tensor: (B, N) float, 1 for valid tokens.
    """
    cells = rearrange(
        valid,
        'b t (h h2) (w w2) -> b (t h w) (h2 w2)',
        h2=cells_per_patch,
        w2=cells_per_patch)
    return cells.any(-1).float()

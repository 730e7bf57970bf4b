"""Per-token trajectory targets: tokenisation and PatchStd (METHOD §4.4)."""
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


def patch_std(tokens: Tensor,
              eps: float = 2e-5,
              min_std: float = 0.) -> Tensor:
    """Standardise every component across the sub-trajectories of a token.

    Removes the token's common translation (camera motion) and the flow's
    scale: ``z = (v - mean) / (max(std_unbiased, min_std) + eps)`` over the
    last axis. With ``min_std=0`` this is METHOD §4.4 exactly. Sub-pixel
    flow noise of a rigidly moving patch (about 0.05 px with DIS) would
    otherwise be blown up to unit scale; the release never saw it because
    it truncated flow to whole pixels. A floor keeps such patches near zero
    and leaves ``|z| <= 1.5`` for 4 sub-cells.

    Args:
        tokens (Tensor): (..., k*k) values of one component per sub-cell.
        eps (float): Added to the standard deviation, in the unit of
            ``tokens``. Defaults to 2e-5: the authors' 1e-6 is added to
            displacements in pixels divided by 20 (METHOD §4.4).
        min_std (float): Floor of the standard deviation, in the unit of
            ``tokens``. Defaults to 0.

    Returns:
        Tensor: Same shape; all-zero where the sub-cells agree.
    """
    mean = tokens.mean(-1, keepdim=True)
    std = tokens.std(-1, keepdim=True, unbiased=True).clamp(min=min_std)
    return (tokens - mean) / (std + eps)

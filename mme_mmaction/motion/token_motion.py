"""Motion of ViT tokens from the trajectories of their cells."""
from typing import Tuple

import numpy as np


def token_motion(trajectories: np.ndarray, valid: np.ndarray,
                 cells_per_patch: int,
                 min_valid: float = 0.5) -> Tuple[np.ndarray, np.ndarray]:
    """Mean displacement of each token's cells over their trajectories.

    Args:
        trajectories (np.ndarray): (T', L, 2, Hc, Wc) per-step
            displacements (dx, dy) of the cells of every tubelet.
        valid (np.ndarray): (T', Hc, Wc) bool validity of the cells.
        cells_per_patch (int): Cells per token side (patch / cell size).
        min_valid (float): Share of a token's cells that must be valid for
            its motion to count. Defaults to 0.5.

    Returns:
        tuple[np.ndarray, np.ndarray]: (T', Hp, Wp, 2) float64 mean total
        displacement of the valid cells of each token (0 where none is), and
        (T', Hp, Wp) bool: the token's motion counts.
    """
    k = cells_per_patch
    slices, _, _, height, width = trajectories.shape
    if height % k or width % k:
        raise ValueError(
            f'A {height}x{width} cell grid does not tile into tokens of '
            f'{k}x{k} cells.')
    total = trajectories.sum(axis=1, dtype=np.float64).reshape(
        slices, 2, height // k, k, width // k, k)
    weights = valid.reshape(slices, 1, height // k, k, width // k, k)
    count = weights.sum(axis=(3, 5))
    # Invalid cells may hold anything, NaN included: leave them out.
    total = np.where(weights, total, 0.)
    mean = total.sum(axis=(3, 5)) / np.maximum(count, 1)
    return mean.transpose(0, 2, 3, 1), count[:, 0] >= min_valid * k * k


def forward_map(displacements: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Where each token of a slice lands in the next one.

    Args:
        displacements (np.ndarray): (Hp, Wp, 2) displacement (dx, dy) of
            each token to the next slice, in tokens.
        valid (np.ndarray): (Hp, Wp) bool: the displacement is known.

    Returns:
        np.ndarray: (Hp * Wp,) int64 flat index of the token each token
        lands on (nearest), or -1 where it is unknown or leaves the grid.
    """
    height, width = valid.shape
    rows, cols = np.mgrid[0:height, 0:width]
    to_col = np.rint(cols + displacements[..., 0]).astype(np.int64)
    to_row = np.rint(rows + displacements[..., 1]).astype(np.int64)
    lands = (valid & (to_col >= 0) & (to_col < width) & (to_row >= 0)
             & (to_row < height))
    return np.where(lands, to_row * width + to_col, -1).reshape(-1)

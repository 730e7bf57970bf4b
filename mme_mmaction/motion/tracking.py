"""Point tracking through a chain of optical flow fields (docs/method.md §4.2).

Coordinates are continuous: pixel ``(i, j)`` covers ``[j, j+1) x [i, i+1)``
and its centre is ``(j + 0.5, i + 0.5)``; a frame of width W spans
``[0, W)``.
"""
from typing import Sequence, Tuple

import numpy as np


def cell_centres(height: int, width: int, cell_size: int = 8) -> np.ndarray:
    """Centres of the ``cell_size`` cells of a frame, row-major.

    Args:
        height (int): Frame height, a multiple of ``cell_size``.
        width (int): Frame width, a multiple of ``cell_size``.
        cell_size (int): Cell side in pixels. Defaults to 8.

    Returns:
        np.ndarray: float64 (height/cell * width/cell, 2) points (x, y),
        e.g. (4, 4), (12, 4), ... for 8-pixel cells.
    """
    if height % cell_size or width % cell_size:
        raise ValueError(f'Frame size {height}x{width} is not a multiple of '
                         f'the trajectory cell size {cell_size}.')
    ys = np.arange(height // cell_size) * cell_size + cell_size / 2
    xs = np.arange(width // cell_size) * cell_size + cell_size / 2
    grid_y, grid_x = np.meshgrid(ys, xs, indexing='ij')
    return np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)


def bilinear_sample(field: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Sample a (H, W, C) field at continuous points, clamped at the border.

    Args:
        field (np.ndarray): (H, W, C) values at pixel centres.
        points (np.ndarray): (P, 2) continuous (x, y) positions.

    Returns:
        np.ndarray: (P, C) interpolated values.
    """
    height, width = field.shape[:2]
    x = np.clip(points[:, 0] - 0.5, 0, width - 1)
    y = np.clip(points[:, 1] - 0.5, 0, height - 1)
    x0 = np.minimum(np.floor(x).astype(np.int64), width - 2).clip(0)
    y0 = np.minimum(np.floor(y).astype(np.int64), height - 2).clip(0)
    x1 = np.minimum(x0 + 1, width - 1)
    y1 = np.minimum(y0 + 1, height - 1)
    wx = (x - x0)[:, None]
    wy = (y - y0)[:, None]
    top = field[y0, x0] * (1 - wx) + field[y0, x1] * wx
    bottom = field[y1, x0] * (1 - wx) + field[y1, x1] * wx
    return top * (1 - wy) + bottom * wy


def inside_frame(points: np.ndarray, height: int, width: int) -> np.ndarray:
    """Which continuous (x, y) points lie in a ``height x width`` frame.

    Args:
        points (np.ndarray): (P, 2) positions.
        height (int): Frame height.
        width (int): Frame width.

    Returns:
        np.ndarray: (P,) bool.
    """
    return ((points[:, 0] >= 0) & (points[:, 0] < width)
            & (points[:, 1] >= 0) & (points[:, 1] < height))


def track_points(flows: Sequence[np.ndarray],
                 seeds: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Follow points through consecutive flow fields.

    ``P_0 = seed``, ``d_j = F_j(P_j)``, ``P_{j+1} = P_j + d_j``. A point is
    invalid once it has left the frame before a lookup; its later steps are
    zero.

    Args:
        flows (Sequence[np.ndarray]): L fields (H, W, 2), field j maps frame
            j to frame j+1.
        seeds (np.ndarray): (P, 2) continuous (x, y) start positions.

    Returns:
        tuple[np.ndarray, np.ndarray]: per-step displacements (L, P, 2)
        float32, and validity (P,) bool: inside the frame at every lookup.
    """
    points = seeds.astype(np.float64).copy()
    valid = np.ones(len(points), dtype=bool)
    steps = np.zeros((len(flows), len(points), 2), dtype=np.float32)
    for j, flow in enumerate(flows):
        valid &= inside_frame(points, *flow.shape[:2])
        step = bilinear_sample(flow, points) * valid[:, None]
        steps[j] = step
        points += step
    return steps, valid

"""Trajectories of every raw start frame on a video's native cell grid.

This is what offline extraction stores (METHOD §4.2): for each start frame
``s``, the seeds at the centres of the native ``cell_size`` cells tracked
through ``L`` consecutive flow fields.
"""
from typing import Callable, Tuple

import cv2
import numpy as np

from .tracking import cell_centres, track_points


def native_grid_trajectories(frames: np.ndarray,
                             flow: Callable[[np.ndarray, np.ndarray],
                                            np.ndarray],
                             traj_len: int = 4,
                             cell_size: int = 8,
                             flow_scale: float = 1.
                             ) -> Tuple[np.ndarray, np.ndarray]:
    """Track the native cell centres from every start frame.

    Args:
        frames (np.ndarray): (T, H, W) uint8 grey frames of a whole video.
        flow (Callable): Flow between two grey frames, (H', W', 2).
        traj_len (int): Steps per trajectory (L). Defaults to 4.
        cell_size (int): Cell side of the seed grid. Defaults to 8.
        flow_scale (float): Flow is computed on frames resized by this
            factor (<= 1 trades accuracy for speed); displacements are
            returned in native pixels. Defaults to 1.

    Returns:
        tuple[np.ndarray, np.ndarray]: displacements (T - L, L, 2, Hg, Wg)
        float32 with Hg, Wg = H // cell_size, W // cell_size, and validity
        (T - L, Hg, Wg) bool.
    """
    num_frames, height, width = frames.shape
    if num_frames <= traj_len:
        raise ValueError(f'{num_frames} frames are too few for '
                         f'trajectories of {traj_len} steps.')
    grid = (height // cell_size, width // cell_size)
    seeds = cell_centres(grid[0] * cell_size, grid[1] * cell_size, cell_size)
    size = (max(round(width * flow_scale), 16),
            max(round(height * flow_scale), 16))
    to_flow = np.array(size) / (width, height)
    if size != (width, height):
        frames = np.stack([
            cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames
        ])
    flows = [flow(frames[i], frames[i + 1]) for i in range(num_frames - 1)]
    starts = num_frames - traj_len
    traj = np.empty((starts, traj_len, 2, *grid), dtype=np.float32)
    valid = np.empty((starts, *grid), dtype=bool)
    for s in range(starts):
        steps, valid_s = track_points(flows[s:s + traj_len], seeds * to_flow)
        steps = (steps / to_flow).reshape(traj_len, *grid, 2)
        traj[s] = steps.transpose(0, 3, 1, 2)
        valid[s] = valid_s.reshape(grid)
    return traj, valid

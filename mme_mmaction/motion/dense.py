"""Trajectories of every raw start frame on a video's native cell grid.

This is what offline extraction stores (docs/method.md §4.2): for each start
frame ``s``, the seeds at the centres of the native ``cell_size`` cells
tracked through ``L`` consecutive flow fields.
"""
from collections import deque
from typing import Callable, Iterable, Tuple

import cv2
import numpy as np

from .tracking import cell_centres, track_points


def native_grid_trajectories(frames: Iterable[np.ndarray],
                             flow: Callable[[np.ndarray, np.ndarray],
                                            np.ndarray],
                             traj_len: int = 4,
                             cell_size: int = 8,
                             flow_scale: float = 1.
                             ) -> Tuple[np.ndarray, np.ndarray]:
    """Track the native cell centres from every start frame.

    Frames are consumed one at a time and only the last ``traj_len`` flow
    fields are kept, so memory does not grow with the video's length.

    Args:
        frames (Iterable[np.ndarray]): The (H, W) uint8 grey frames of a
            whole video, e.g. an array (T, H, W) or a generator.
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
    if traj_len < 1 or cell_size < 1 or flow_scale <= 0:
        raise ValueError(f'Need traj_len >= 1, cell_size >= 1 and '
                         f'flow_scale > 0; got {traj_len}, {cell_size} and '
                         f'{flow_scale}.')
    flows = deque()
    traj, valid = [], []
    previous, num_frames = None, 0
    for frame in frames:
        num_frames += 1
        if previous is None:
            height, width = frame.shape
            grid = (height // cell_size, width // cell_size)
            size = (max(round(width * flow_scale), 16),
                    max(round(height * flow_scale), 16))
            to_flow = np.array(size) / (width, height)
            seeds = cell_centres(grid[0] * cell_size, grid[1] * cell_size,
                                 cell_size) * to_flow
        if size != (width, height):
            frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        if previous is not None:
            flows.append(flow(previous, frame))
        previous = frame
        if len(flows) == traj_len:  # start frame num_frames - 1 - L is done
            steps, valid_s = track_points(list(flows), seeds)
            steps = (steps / to_flow).reshape(traj_len, *grid, 2)
            traj.append(steps.transpose(0, 3, 1, 2).astype(np.float32))
            valid.append(valid_s.reshape(grid))
            flows.popleft()
    if num_frames <= traj_len:
        raise ValueError(f'{num_frames} frames are too few for '
                         f'trajectories of {traj_len} steps.')
    return np.stack(traj), np.stack(valid)

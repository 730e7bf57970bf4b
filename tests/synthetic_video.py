"""Videos with known motion, written to disk for decord to decode."""
from pathlib import Path
from typing import Tuple

import cv2
import numpy as np


def texture(height: int, width: int, seed: int) -> np.ndarray:
    """Smooth random RGB texture that optical flow can lock onto."""
    rng = np.random.default_rng(seed)
    noise = rng.uniform(0, 255, (height, width, 3)).astype(np.float32)
    return np.clip(cv2.GaussianBlur(noise, (0, 0), 1.5) * 2 - 128, 0,
                   255).astype(np.uint8)


def moving_square(num_frames: int = 24,
                  size: Tuple[int, int] = (96, 128),
                  square: int = 40,
                  start: Tuple[float, float] = (30., 50.),
                  velocity: Tuple[float, float] = (3., -2.),
                  seed: int = 0,
                  lift: int = 0,
                  pan: Tuple[int, int] = (0, 0)) -> np.ndarray:
    """A textured square moving at constant velocity over a texture.

    Args:
        num_frames (int): Frames.
        size (tuple[int, int]): (H, W).
        square (int): Side of the square.
        start (tuple[float, float]): (x, y) of its top-left corner.
        velocity (tuple[float, float]): (dx, dy) pixels per frame.
        seed (int): Texture seed.
        lift (int): Grey levels added to the square's texture (clipped),
            to set it apart from the background.
        pan (tuple[int, int]): (dx, dy) whole pixels per frame the
            background moves by, as under a panning camera.

    Returns:
        np.ndarray: (num_frames, H, W, 3) uint8 RGB frames.
    """
    height, width = size
    margin = 2 * max(map(abs, pan)) * num_frames
    scene = texture(height + margin, width + margin, seed)
    patch = np.clip(texture(square, square, seed + 1).astype(np.int32) + lift,
                    0, 255).astype(np.uint8)
    frames = []
    for i in range(num_frames):
        x0 = margin // 2 - pan[0] * i
        y0 = margin // 2 - pan[1] * i
        background = scene[y0:y0 + height, x0:x0 + width]
        # Sub-pixel placement by warping keeps the motion exact.
        x = start[0] + velocity[0] * i
        y = start[1] + velocity[1] * i
        warp = np.float32([[1, 0, x], [0, 1, y]])
        moved = cv2.warpAffine(patch, warp, (width, height),
                               flags=cv2.INTER_LINEAR)
        inside = cv2.warpAffine(np.ones((square, square), np.float32), warp,
                                (width, height))[..., None]
        frames.append((moved * inside + background * (1 - inside)).astype(
            np.uint8))
    return np.stack(frames)


def camera_pan(num_frames: int = 12,
               pan: Tuple[int, int] = (2, -1)) -> np.ndarray:
    """A 32 x 64 window panning over a still texture by ``pan`` px/frame,
    so the content moves by ``-pan`` px per frame.

    Returns:
        np.ndarray: (num_frames, 32, 64, 3) uint8 RGB frames.
    """
    big = texture(96, 96, seed=5)
    return np.stack([
        big[20 + pan[1] * i:52 + pan[1] * i, 8 + pan[0] * i:72 + pan[0] * i]
        for i in range(num_frames)
    ])


def panned_shots(num_frames: int = 24,
                 cut: int = 10,
                 size: Tuple[int, int] = (64, 96),
                 pan: Tuple[int, int] = (2, -1)) -> np.ndarray:
    """Two shots with a hard cut: a window panning by ``pan`` px per frame
    over one texture for frames ``0 .. cut-1``, then over another texture.

    No occlusion: every point that stays in view is tracked exactly, so
    only the cut breaks trajectories.

    Returns:
        np.ndarray: (num_frames, H, W, 3) uint8 RGB frames.
    """
    height, width = size
    margin = 2 * max(map(abs, pan)) * num_frames
    shots = [texture(height + margin, width + margin, seed) for seed in (7, 8)]
    x0 = y0 = margin // 2
    return np.stack([
        shots[i >= cut][y0 + pan[1] * i:y0 + pan[1] * i + height,
                        x0 + pan[0] * i:x0 + pan[0] * i + width]
        for i in range(num_frames)
    ])


def write_video(path: Path, frames: np.ndarray, fps: int = 25) -> Path:
    """Write RGB frames as an mp4v ``.mp4`` (cv2 wheels lack H.264), or as
    a VP8 ``.webm`` (SSv2's format)."""
    height, width = frames.shape[1:3]
    codec = 'VP80' if Path(path).suffix == '.webm' else 'mp4v'
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*codec), fps, (width, height))
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def store_trajectories(video: Path, out: Path,
                       num_frames: int) -> Tuple[np.ndarray, np.ndarray]:
    """Track every raw frame of ``video`` as the extraction tool does
    (default flow, L = 4) and write our ``.npy`` format to ``out``.

    Returns:
        tuple[np.ndarray, np.ndarray]: The trajectories and validity.
    """
    import decord

    from mme_mmaction.motion import (DEFAULT_FLOW, OpticalFlow,
                                     native_grid_trajectories)
    from mme_mmaction.motion.storage import write_trajectories
    frames = decord.VideoReader(str(video)).get_batch(
        list(range(num_frames))).asnumpy()
    grey = np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames])
    traj, valid = native_grid_trajectories(
        grey, OpticalFlow(**DEFAULT_FLOW), traj_len=4)
    write_trajectories(str(out), traj, valid)
    return traj, valid

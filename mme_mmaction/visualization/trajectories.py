"""Trajectories as polylines over the frames, as a PNG and a GIF."""
import math
from pathlib import Path
from typing import List

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from PIL import Image

from mme_mmaction.motion import cell_centres
from .clip import Clip
from .figures import grid, save, show_image


# Seeds that move less than this many final-frame pixels over their whole
# trajectory are not drawn: static background would hide the moving parts.
MIN_MOTION = 1.0
# At most about this many seeds per row are drawn, so paths stay apart.
MAX_SEED_COLUMNS = 40


GIF_FRAME_MS = 600


def trajectory_paths(traj: np.ndarray, cell_size: int) -> np.ndarray:
    """Absolute positions of every seed along its trajectory.

    Args:
        traj (np.ndarray): (T', L, 2, Hc, Wc) per-step displacements.
        cell_size (int): Seed spacing in final-frame pixels.

    Returns:
        np.ndarray: (T', Hc * Wc, L + 1, 2) positions (x, y) in final-frame
        pixels, seeds in row-major order; position 0 is the seed.
    """
    num_t, steps, _, hc, wc = traj.shape
    seeds = cell_centres(hc * cell_size, wc * cell_size, cell_size)
    moves = traj.transpose(0, 3, 4, 1, 2).reshape(num_t, hc * wc, steps, 2)
    offsets = np.concatenate(
        [np.zeros_like(moves[:, :, :1]), np.cumsum(moves, axis=2)], axis=2)
    return seeds[None, :, None] + offsets


def _trajectory_panel(ax, frame: np.ndarray, paths: np.ndarray,
                      speed: np.ndarray, valid: np.ndarray, draw: np.ndarray,
                      norm: Normalize, title: str) -> LineCollection:
    """One tubelet: its first frame with the chosen seeds' paths.

    Valid seeds are polylines coloured by speed with a dot at the end;
    invalid seeds (they left the frame) are red crosses at the seed.
    """
    show_image(ax, frame, title)
    chosen = draw & valid
    lines = LineCollection(
        paths[chosen], cmap='turbo', norm=norm, linewidths=1.2)
    lines.set_array(speed[chosen])
    ax.add_collection(lines)
    ax.scatter(*paths[chosen, -1].T, c=speed[chosen], cmap='turbo',
               norm=norm, s=3)
    ax.scatter(*paths[draw & ~valid, 0].T, marker='x', c='red', s=14,
               linewidths=1)
    return lines


def draw_trajectories(clip: Clip, png: Path, gif: Path,
                      written: List[str]) -> None:
    """Trajectories of every tubelet: a grid PNG and a GIF over tubelets."""
    traj = clip.results['trajectories']
    num_t, _, _, hc, wc = traj.shape
    height, width = clip.frames.shape[1:3]
    paths = trajectory_paths(traj, height // hc)
    valid = clip.results['traj_valid'].reshape(num_t, -1)
    on_grid = np.zeros((hc, wc), dtype=bool)
    stride = math.ceil(wc / MAX_SEED_COLUMNS)
    on_grid[::stride, ::stride] = True
    moved = np.linalg.norm(paths[:, :, -1] - paths[:, :, 0],
                           axis=-1) > MIN_MOTION
    draw = on_grid.ravel() & (moved | ~valid)
    # Mean path length per raw frame.
    speeds = np.linalg.norm(np.diff(paths, axis=2), axis=-1).mean(-1)
    drawn = speeds[draw & valid]
    norm = Normalize(0, max(np.percentile(drawn, 99) if drawn.size else 0,
                            MIN_MOTION))
    firsts = clip.frames[::clip.tubelet]
    starts = clip.frame_inds[::clip.tubelet]
    titles = [
        f'tubelet {t}: frames {s}..{s + clip.traj_len}\n'
        f'{int((draw & valid)[t].sum())} moving seeds drawn'
        for t, s in enumerate(starts)
    ]
    label = 'speed (px per raw frame)'

    fig, axes = grid(num_t, height, width)
    for t, ax in enumerate(axes):
        lines = _trajectory_panel(ax, firsts[t], paths[t], speeds[t],
                                  valid[t], draw[t], norm, titles[t])
    fig.colorbar(lines, ax=axes, label=label, shrink=0.6)
    save(fig, png, written)

    images = []
    for t in range(num_t):
        # Wider than native: the colour bar takes its share.
        fig, (ax, ) = grid(1, height, width, ncols=1, scale=1.5)
        lines = _trajectory_panel(ax, firsts[t], paths[t], speeds[t],
                                  valid[t], draw[t], norm, titles[t])
        fig.colorbar(lines, ax=ax, label=label, shrink=0.8)
        fig.canvas.draw()
        images.append(
            Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3]))
    images[0].save(gif, save_all=True, append_images=images[1:],
                   duration=GIF_FRAME_MS, loop=0)
    written.append(str(gif))

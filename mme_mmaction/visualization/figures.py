"""Matplotlib figures without pyplot: grids, panels, saving, frames."""
import math
from pathlib import Path
from typing import List, Tuple

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .clip import Clip


def figure(width_in: float, height_in: float) -> Figure:
    """A pyplot-free Agg figure: no global state, no display needed."""
    fig = Figure(figsize=(width_in, height_in), layout='constrained')
    FigureCanvasAgg(fig)
    return fig


def grid(num: int, height: int, width: int, ncols: int = 4,
         scale: float = 1.) -> Tuple[Figure, List]:
    """A figure of ``num`` image panels, about native size times ``scale``."""
    ncols = min(ncols, num)
    nrows = math.ceil(num / ncols)
    # Small frames (the toy's 64 x 64) still need room for a title.
    panel_w = max(3., scale * width / 100)
    panel_h = panel_w * height / width + 0.45
    fig = figure(ncols * panel_w, nrows * panel_h)
    axes = list(fig.subplots(nrows, ncols, squeeze=False).ravel())
    for ax in axes:
        ax.set_axis_off()
    return fig, axes[:num]


def show_image(ax, image: np.ndarray, title: str) -> None:
    """Draw an image in continuous pixel coordinates.

    Pixel (i, j) spans [j, j+1) x [i, i+1), as in
    :mod:`mme_mmaction.motion.tracking`, so seeds and cell centres land
    where the targets put them.
    """
    height, width = image.shape[:2]
    ax.imshow(image, extent=(0, width, height, 0), interpolation='nearest')
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_title(title, fontsize=9)


def save(fig: Figure, path: Path, written: List[str]) -> None:
    """Write the figure and record its path."""
    fig.savefig(path, dpi=100)
    written.append(str(path))


def draw_frames(clip: Clip, path: Path, written: List[str]) -> None:
    """Grid of the sampled frames, titled by raw frame index."""
    fig, axes = grid(len(clip.frames), *clip.frames.shape[1:3])
    for ax, frame, index in zip(axes, clip.frames, clip.frame_inds):
        show_image(ax, frame, f'frame {index}')
    save(fig, path, written)

"""HOG glyphs: a segment per bin along the edge direction."""
from pathlib import Path
from typing import List, Tuple

import numpy as np
import torch
from einops import rearrange
from matplotlib.collections import LineCollection

from mme_mmaction.motion import cell_centres
from .clip import Clip
from .figures import grid, save, show_image


IMAGENET_MEAN = np.array([123.675, 116.28, 103.53], dtype=np.float32)
IMAGENET_STD = np.array([58.395, 57.12, 57.375], dtype=np.float32)


def cell_histograms(frames: np.ndarray, generator) -> np.ndarray:
    """HOG of the first tubelet's described frame, per cell, colour mean.

    Args:
        frames (np.ndarray): (T, H, W, 3) uint8 RGB frames.
        generator (HOGGenerator): Computes the targets.

    Returns:
        np.ndarray: (H / cell, W / cell, nbins) histograms.
    """
    clip = (frames.astype(np.float32) - IMAGENET_MEAN) / IMAGENET_STD
    video = torch.from_numpy(clip).permute(3, 0, 1, 2)[None]
    k = generator.cells_per_patch
    cells = rearrange(
        generator.targets(video)[0],
        '(t h w) (c bin h2 w2) -> t (h h2) (w w2) bin c',
        h=frames.shape[1] // generator.patch_size,
        w=frames.shape[2] // generator.patch_size,
        c=generator.in_channels,
        h2=k,
        w2=k)
    return cells[0].mean(-1).numpy()


def hog_glyphs(hist: np.ndarray, cell_size: int,
               top: float) -> Tuple[np.ndarray, np.ndarray]:
    """Star glyphs of cell histograms: one segment per cell and bin.

    Args:
        hist (np.ndarray): (Hc, Wc, nbins) histograms.
        cell_size (int): Cell side in pixels.
        top (float): Bin value drawn across the whole cell.

    Returns:
        tuple[np.ndarray, np.ndarray]: segments (Hc*Wc*nbins, 2, 2) as
        (x, y) end points, and their lengths relative to the cell (0..1).
    """
    hc, wc, nbins = hist.shape
    centres = cell_centres(hc * cell_size, wc * cell_size, cell_size)
    theta = np.arange(nbins) * np.pi / nbins
    # HOGGenerator bins theta = atan2(gy, gx) (y down), so bin theta holds
    # gradients (gx, gy) along (cos theta, sin theta): theta = 0 is a
    # horizontal gradient, i.e. a vertical edge. The glyphs are drawn along
    # the EDGE, perpendicular to the gradient, (-sin theta, cos theta), so
    # that they trace the contours of the image.
    edge = np.stack([-np.sin(theta), np.cos(theta)], -1)
    length = np.clip(hist.reshape(-1, nbins) / top, 0, 1)
    offsets = 0.5 * cell_size * length[..., None] * edge
    segments = np.stack(
        [centres[:, None] - offsets, centres[:, None] + offsets], axis=2)
    return segments.reshape(-1, 2, 2), length.ravel()


def draw_hog(clip: Clip, generator, path: Path, written: List[str]) -> None:
    """The first tubelet's described frame and its HOG glyphs."""
    hist = cell_histograms(clip.frames, generator)
    # A percentile, so that a few strong edges do not shrink all glyphs.
    top = max(float(np.percentile(hist, 99.5)), 1e-6)
    segments, length = hog_glyphs(hist, generator.pool, top)
    keep = length > 0.02
    index = generator.tubelet_size - 1
    frame = clip.frames[index]
    height, width = frame.shape[:2]
    fig, (ax_frame, ax_hog) = grid(2, height, width, ncols=1, scale=3)
    show_image(ax_frame, frame, f'frame {clip.frame_inds[index]} (second '
               'frame of the first tubelet)')
    show_image(ax_hog, np.zeros_like(frame),
               f'HOG: {generator.nbins} bins per {generator.pool} px '
               'cell, mean of the colours; segments run along edges, length '
               f'and brightness by bin value (full cell = {top:.2f})')
    # The square root keeps weak bins visible next to strong edges.
    grey = np.sqrt(length[keep, None]).repeat(3, 1)
    ax_hog.add_collection(
        LineCollection(segments[keep], colors=grey, linewidths=0.9))
    save(fig, path, written)

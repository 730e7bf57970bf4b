"""Optical flow as colours: the colour wheel and per-tubelet panels."""
from pathlib import Path
from typing import List

import cv2
import decord
import numpy as np
from matplotlib.colors import hsv_to_rgb

from mme_mmaction.motion import OpticalFlow
from .clip import Clip
from .figures import grid, save, show_image

# Raw pixels per frame drawn at full brightness in a still flow panel.
MIN_FLOW_SCALE = 1.0


def flow_to_rgb(flow: np.ndarray, max_magnitude: float) -> np.ndarray:
    """Colour-wheel picture of a flow field.

    Args:
        flow (np.ndarray): (H, W, 2) displacements (dx, dy).
        max_magnitude (float): Magnitude drawn at full brightness.

    Returns:
        np.ndarray: (H, W, 3) float RGB in [0, 1]; hue is the direction in
        image coordinates (y down), value the magnitude.
    """
    dx, dy = flow[..., 0], flow[..., 1]
    hue = np.mod(np.arctan2(dy, dx), 2 * np.pi) / (2 * np.pi)
    value = np.clip(np.hypot(dx, dy) / max_magnitude, 0, 1)
    return hsv_to_rgb(np.stack([hue, np.ones_like(hue), value], -1))


def _colour_wheel(size: int = 101) -> np.ndarray:
    """Key of :func:`flow_to_rgb`: a disc of flows up to 1, white outside."""
    coords = np.linspace(-1, 1, size)
    flows = np.stack(np.meshgrid(coords, coords), -1)
    wheel = flow_to_rgb(flows, 1.)
    wheel[np.hypot(flows[..., 0], flows[..., 1]) > 1] = 1
    return wheel


def draw_flow(video: str, clip: Clip, path: Path,
              written: List[str]) -> None:
    """Flow of the first trajectory step of every tubelet, on raw frames.

    Uses :class:`OpticalFlow`'s default (DIS, the online trajectory
    source's default) at native resolution, whatever the pipeline's
    trajectory source: the picture shows the motion, not the exact flow
    behind the targets.

    Args:
        video (str): Video path.
        clip (Clip): The sample.
        path (Path): PNG to write.
        written (list[str]): Paths written so far; appended to.
    """
    starts = clip.frame_inds[::clip.tubelet]
    wanted = np.unique(np.concatenate([starts, starts + 1]))
    raw = decord.VideoReader(video).get_batch(wanted).asnumpy()
    grey = {
        i: cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        for i, frame in zip(wanted.tolist(), raw)
    }
    flow = OpticalFlow()
    fields = [flow(grey[s], grey[s + 1]) for s in starts.tolist()]
    fig, axes = grid(len(fields) + 1, *fields[0].shape[:2])
    for ax, field, s in zip(axes, fields, starts.tolist()):
        # Per panel, as one fast object would leave the other tubelets
        # black; a percentile, so that a few outliers do not darken the
        # rest; at least MIN_FLOW_SCALE, so that a still scene stays dark
        # instead of showing amplified noise.
        top = max(float(np.percentile(np.hypot(*field.transpose(2, 0, 1)),
                                      99)), MIN_FLOW_SCALE)
        show_image(ax, flow_to_rgb(field, top),
                   f'flow {s} -> {s + 1}, full value {top:.1f} px')
    show_image(axes[-1], _colour_wheel(),
               'hue: direction (y down); value: magnitude')
    save(fig, path, written)

"""Draw the pre-training targets of Masked Motion Encoding for one video.

Runs a pre-training pipeline on one clip of a video and writes pictures of
what the model is asked to predict: the sampled frames, optical flow,
trajectories (a PNG and a GIF over the tubelets), the tube mask and the HOG
of one frame; with a checkpoint also the model's predictions beside the
targets.

Without ``--config`` a built-in pipeline that suits any video is used: 16
frames with stride 4 (a smaller stride, then fewer frames, if the video is
short), resized to a short side of about 224 with both sides multiples of
16, trajectories of 4 raw steps and a 0.7 tube mask. With ``--config`` the
config's training pipeline is used, with ``SampleFrames`` replaced by fixed
frame indices from ``--start`` so that runs are reproducible.

Example:
    python tools/visualize_targets.py video.mp4 --out vis --start 76
    python tools/visualize_targets.py video.mp4 --out vis \\
        --config configs/mme/vit-tiny_toy.py \\
        --checkpoint work_dirs/vit-tiny_toy/epoch_30.pth
"""
import argparse
import math
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import decord
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize, hsv_to_rgb
from matplotlib.figure import Figure
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmengine.structures import BaseDataElement
from PIL import Image

import mme_mmaction  # noqa: F401  (before mmaction.models: compat fixes)
from mmaction.registry import MODELS, TRANSFORMS
from mme_mmaction.motion import OpticalFlow, cell_centres

IMAGENET_MEAN = np.array([123.675, 116.28, 103.53], dtype=np.float32)
IMAGENET_STD = np.array([58.395, 57.12, 57.375], dtype=np.float32)
# Left out while drawing; run afterwards only to feed the model.
PACKING = ('FormatShape', 'PackActionInputs')
DEFAULT_CLIP_LEN = 16
DEFAULT_INTERVAL = 4
DEFAULT_TRAJ_LEN = 4
DEFAULT_SHORT_SIDE = 224
# Seeds that move less than this many final-frame pixels over their whole
# trajectory are not drawn: static background would hide the moving parts.
MIN_MOTION = 1.0
# At most about this many seeds per row are drawn, so paths stay apart.
MAX_SEED_COLUMNS = 40
# Raw pixels per frame drawn at full brightness in a still flow panel.
MIN_FLOW_SCALE = 1.0
GIF_FRAME_MS = 600


@dataclass
class Clip:
    """One pipeline sample, as drawn.

    Attributes:
        results (dict): The pipeline's results before packing.
        packing (list): The config's packing transforms (empty without one).
        frames (np.ndarray): (T, H, W, 3) uint8 RGB final frames.
        frame_inds (np.ndarray): (T,) raw index of every frame.
        traj_len (int): Trajectory steps L.
        tubelet (int): Frames per tubelet.
        patch (int): Patch side of the tube mask.
    """

    results: Dict
    packing: List
    frames: np.ndarray
    frame_inds: np.ndarray
    traj_len: int
    tubelet: int
    patch: int


def _last_offset(clip_len: int, interval: int, traj_len: int,
                 tubelet: int) -> int:
    """Last raw frame a clip needs, relative to its first frame."""
    return max((clip_len - 1) * interval,
               (clip_len - tubelet) * interval + traj_len)


def _choose_sampling(total: int, start: int, clip_len: int, interval: int,
                     traj_len: int, tubelet: int,
                     fixed_clip_len: bool) -> Tuple[int, int]:
    """Largest clip that fits the video from ``start``.

    The stride is lowered first, so that the clip keeps its tubelets; then,
    unless the clip length is fixed (a config's model expects it), frames
    are dropped a tubelet at a time with stride 1.

    Returns:
        tuple[int, int]: ``(clip_len, frame_interval)``.
    """
    candidates = [(clip_len, i) for i in range(interval, 0, -1)]
    if not fixed_clip_len:
        candidates += [(c, 1) for c in range(clip_len - tubelet, 0, -tubelet)]
    for length, stride in candidates:
        if start + _last_offset(length, stride, traj_len, tubelet) < total:
            return length, stride
    length, stride = candidates[-1]
    needed = _last_offset(length, stride, traj_len, tubelet) + 1
    raise ValueError(
        f'The video has {total} frames; from frame {start} the shortest clip '
        f'({length} frames, trajectories of {traj_len} steps) needs {needed}.')


def _default_pipeline(height: int, width: int) -> List[dict]:
    """Pipeline for any video: aspect kept roughly, sides multiples of 16."""
    scale = DEFAULT_SHORT_SIDE / min(height, width)
    size = tuple(
        max(16, round(side * scale / 16) * 16) for side in (width, height))
    return [
        dict(type='DecordInit'),
        dict(type='DecordDecodeWithTrajectoryFrames',
             traj_len=DEFAULT_TRAJ_LEN),
        dict(type='Resize', scale=size, keep_ratio=False),
        dict(type='TrajectoryTarget', traj_len=DEFAULT_TRAJ_LEN),
        dict(type='TubeMaskGenerator', mask_ratio=0.7),
    ]


def _find(pipeline: Sequence[dict], name: str) -> dict:
    """The first step of type ``name``; an error naming it if absent."""
    for step in pipeline:
        if step['type'] == name:
            return step
    raise ValueError(f'The pipeline has no {name}.')


def sample_clip(video: str, cfg: Optional[Config], start: int,
                seed: int) -> Clip:
    """Run every transform but the packing ones on one clip.

    Args:
        video (str): Video path.
        cfg (Config, optional): Config whose training pipeline is used;
            the built-in pipeline without one.
        start (int): First raw frame of the clip.
        seed (int): Seed of random crops and of the mask.

    Returns:
        Clip: The sample.
    """
    reader = decord.VideoReader(video)
    total = len(reader)
    height, width = reader[0].shape[:2]
    if cfg is None:
        pipeline = _default_pipeline(height, width)
        clip_len, interval = DEFAULT_CLIP_LEN, DEFAULT_INTERVAL
    else:
        pipeline = cfg.train_dataloader.dataset.pipeline
        sampler = _find(pipeline, 'SampleFrames')
        clip_len, interval = sampler['clip_len'], sampler['frame_interval']
    decode = _find(pipeline, 'DecordDecodeWithTrajectoryFrames')
    traj_len = decode.get('traj_len', DEFAULT_TRAJ_LEN)
    tubelet = decode.get('tubelet_size', 2)
    clip_len, interval = _choose_sampling(
        total, start, clip_len, interval, traj_len, tubelet,
        fixed_clip_len=cfg is not None)

    drawing = [
        TRANSFORMS.build(step) for step in pipeline
        if step['type'] not in PACKING + ('SampleFrames', )
    ]
    packing = [
        TRANSFORMS.build(step) for step in pipeline
        if step['type'] in PACKING
    ]
    # Random crops and the mask draw from the global generators.
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    results = dict(
        filename=video,
        start_index=0,
        modality='RGB',
        num_clips=1,
        clip_len=clip_len,
        frame_interval=interval,
        frame_inds=start + np.arange(clip_len) * interval)
    for transform in drawing:
        results = transform(results)
        if results is None:
            raise ValueError(f'{transform!r} skipped the sample (its '
                             "on_bad_input is 'skip'); see the log.")
    return Clip(
        results=results,
        packing=packing,
        frames=np.stack(results['imgs']).astype(np.uint8),
        frame_inds=np.asarray(results['frame_inds']).reshape(-1),
        traj_len=traj_len,
        tubelet=tubelet,
        patch=_find(pipeline, 'TubeMaskGenerator').get('patch_size', 16))


def _figure(width_in: float, height_in: float) -> Figure:
    """A pyplot-free Agg figure: no global state, no display needed."""
    fig = Figure(figsize=(width_in, height_in), layout='constrained')
    FigureCanvasAgg(fig)
    return fig


def _grid(num: int, height: int, width: int, ncols: int = 4,
          scale: float = 1.) -> Tuple[Figure, List]:
    """A figure of ``num`` image panels, about native size times ``scale``."""
    ncols = min(ncols, num)
    nrows = math.ceil(num / ncols)
    # Small frames (the toy's 64 x 64) still need room for a title.
    panel_w = max(3., scale * width / 100)
    panel_h = panel_w * height / width + 0.45
    fig = _figure(ncols * panel_w, nrows * panel_h)
    axes = list(fig.subplots(nrows, ncols, squeeze=False).ravel())
    for ax in axes:
        ax.set_axis_off()
    return fig, axes[:num]


def _show(ax, image: np.ndarray, title: str) -> None:
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


def _save(fig: Figure, path: Path, written: List[str]) -> None:
    fig.savefig(path, dpi=100)
    written.append(str(path))


def draw_frames(clip: Clip, path: Path, written: List[str]) -> None:
    """Grid of the sampled frames, titled by raw frame index."""
    fig, axes = _grid(len(clip.frames), *clip.frames.shape[1:3])
    for ax, frame, index in zip(axes, clip.frames, clip.frame_inds):
        _show(ax, frame, f'frame {index}')
    _save(fig, path, written)


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
    grid = np.stack(np.meshgrid(coords, coords), -1)
    wheel = flow_to_rgb(grid, 1.)
    wheel[np.hypot(grid[..., 0], grid[..., 1]) > 1] = 1
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
    fig, axes = _grid(len(fields) + 1, *fields[0].shape[:2])
    for ax, field, s in zip(axes, fields, starts.tolist()):
        # Per panel, as one fast object would leave the other tubelets
        # black; a percentile, so that a few outliers do not darken the
        # rest; at least MIN_FLOW_SCALE, so that a still scene stays dark
        # instead of showing amplified noise.
        top = max(float(np.percentile(np.hypot(*field.transpose(2, 0, 1)),
                                      99)), MIN_FLOW_SCALE)
        _show(ax, flow_to_rgb(field, top),
              f'flow {s} -> {s + 1}, full value {top:.1f} px')
    _show(axes[-1], _colour_wheel(), 'hue: direction (y down); value: '
          'magnitude')
    _save(fig, path, written)


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
    _show(ax, frame, title)
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

    fig, axes = _grid(num_t, height, width)
    for t, ax in enumerate(axes):
        lines = _trajectory_panel(ax, firsts[t], paths[t], speeds[t],
                                  valid[t], draw[t], norm, titles[t])
    fig.colorbar(lines, ax=axes, label=label, shrink=0.6)
    _save(fig, png, written)

    images = []
    for t in range(num_t):
        # Wider than native: the colour bar takes its share.
        fig, (ax, ) = _grid(1, height, width, ncols=1, scale=1.5)
        lines = _trajectory_panel(ax, firsts[t], paths[t], speeds[t],
                                  valid[t], draw[t], norm, titles[t])
        fig.colorbar(lines, ax=ax, label=label, shrink=0.8)
        fig.canvas.draw()
        images.append(
            Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3]))
    images[0].save(gif, save_all=True, append_images=images[1:],
                   duration=GIF_FRAME_MS, loop=0)
    written.append(str(gif))


def draw_mask(clip: Clip, path: Path, written: List[str]) -> None:
    """The frames with their masked patches greyed out."""
    mask = clip.results['mask']
    num, height, width = clip.frames.shape[:3]
    grid = mask.reshape(num // clip.tubelet, height // clip.patch,
                        width // clip.patch)
    pixels = grid.repeat(clip.patch, 1).repeat(clip.patch, 2)[..., None]
    fig, axes = _grid(num, height, width)
    for i, (ax, frame) in enumerate(zip(axes, clip.frames)):
        grey = (0.2 * frame + 0.8 * 128).astype(np.uint8)
        _show(ax, np.where(pixels[i // clip.tubelet], grey, frame),
              f'frame {clip.frame_inds[i]}: {int(grid[0].sum())} of '
              f'{grid[0].size} patches masked')
    _save(fig, path, written)


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
    hog = generator(video)[0]
    height, width = frames.shape[1:3]
    k = generator.cells_per_patch
    hp, wp = height // generator.patch_size, width // generator.patch_size
    # Tokens (t, h, w), features (colour, bin, h2, w2): take t = 0, average
    # the colours and put the cells back in image order.
    first = hog.reshape(-1, hp, wp, generator.in_channels, generator.nbins,
                        k, k)[0].mean(2)
    return first.permute(0, 3, 1, 4, 2).reshape(hp * k, wp * k,
                                                generator.nbins).numpy()


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
    # HOGGenerator bins theta = atan2(gx, gy), so bin theta holds gradients
    # (gx, gy) along (sin theta, cos theta): theta = 0 is a vertical
    # gradient, i.e. a horizontal edge. The glyphs are drawn along the EDGE,
    # perpendicular to the gradient, (cos theta, -sin theta), so that they
    # trace the contours of the image.
    edge = np.stack([np.cos(theta), -np.sin(theta)], -1)
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
    segments, length = hog_glyphs(hist, generator.cell_size, top)
    keep = length > 0.02
    index = generator.tubelet_size - 1
    frame = clip.frames[index]
    height, width = frame.shape[:2]
    fig, (ax_frame, ax_hog) = _grid(2, height, width, ncols=1, scale=3)
    _show(ax_frame, frame, f'frame {clip.frame_inds[index]} (second frame '
          'of the first tubelet)')
    _show(ax_hog, np.zeros_like(frame),
          f'HOG: {generator.nbins} bins per {generator.cell_size} px cell, '
          'mean of the colours; segments run along edges, length and '
          f'brightness by bin value (full cell = {top:.2f})')
    # The square root keeps weak bins visible next to strong edges.
    grey = np.sqrt(length[keep, None]).repeat(3, 1)
    ax_hog.add_collection(
        LineCollection(segments[keep], colors=grey, linewidths=0.9))
    _save(fig, path, written)


def predict(cfg: Config, checkpoint: str, clip: Clip) -> BaseDataElement:
    """The model's predictions for the clip's masked tokens.

    Args:
        cfg (Config): Config of the model.
        checkpoint (str): Its weights; every key must match.
        clip (Clip): The sample, packed here with the config's transforms.

    Returns:
        BaseDataElement: With ``pred_traj``, ``target_traj``, ``pred_hog``,
        ``target_hog`` and ``traj_validity`` (see ``MME.predict``).
    """
    model = MODELS.build(cfg.model)
    load_checkpoint(model, checkpoint, map_location='cpu', strict=True,
                    logger='silent')
    packed = dict(clip.results)
    for transform in clip.packing:
        packed = transform(packed)
    data = dict(inputs=[packed['inputs']],
                data_samples=[packed['data_samples']])
    model.eval()
    with torch.no_grad():
        return model.test_step(data)[0]


def _token_heat(errors: np.ndarray, weights: np.ndarray, masked: np.ndarray,
                shape: Tuple[int, int, int]) -> np.ndarray:
    """Weighted mean over tubelets of per-token errors; NaN where none."""
    values = np.zeros(np.prod(shape))
    counts = np.zeros(np.prod(shape))
    values[masked] = errors * weights
    counts[masked] = weights
    total = values.reshape(shape).sum(0)
    count = counts.reshape(shape).sum(0)
    return np.where(count > 0, total / np.maximum(count, 1e-12), np.nan)


def draw_predictions(clip: Clip, sample: BaseDataElement, path: Path,
                     written: List[str], num_examples: int = 3) -> None:
    """Predictions beside targets for the masked tokens.

    Top row: per-token squared error of trajectories (valid tokens only)
    and HOG over the first frame, and predicted against target PatchStd
    values. Below, for the masked tokens with the most target motion:
    the 2x2 sub-trajectories in PatchStd units (target solid, prediction
    dashed) and the HOG values.
    """
    pred_traj, target_traj = (sample.pred_traj.numpy(),
                              sample.target_traj.numpy())
    pred_hog, target_hog = sample.pred_hog.numpy(), sample.target_hog.numpy()
    validity = sample.traj_validity.numpy()
    masked = np.flatnonzero(clip.results['mask'])
    num, height, width = clip.frames.shape[:3]
    shape = (num // clip.tubelet, height // clip.patch, width // clip.patch)
    err_traj = ((pred_traj - target_traj)**2).sum(-1)
    err_hog = ((pred_hog - target_hog)**2).sum(-1)

    fig = _figure(12, 11)
    axes = fig.subplots(3, num_examples, squeeze=False)
    dimmed = (0.4 * clip.frames[0]).astype(np.uint8)
    for ax, err, weight, name in ((axes[0, 0], err_traj, validity,
                                   'trajectory'),
                                  (axes[0, 1], err_hog, np.ones_like(err_hog),
                                   'HOG')):
        _show(ax, dimmed, f'{name} squared error per masked token\n(mean '
              'over tubelets; visible tokens clear)')
        heat = ax.imshow(_token_heat(err, weight, masked, shape),
                         extent=(0, width, height, 0), cmap='magma',
                         alpha=0.8, interpolation='nearest')
        fig.colorbar(heat, ax=ax, shrink=0.7)
        ax.set_axis_off()
    valid = validity > 0
    axes[0, 2].scatter(target_traj[valid].ravel(), pred_traj[valid].ravel(),
                       s=2, alpha=0.4)
    axes[0, 2].axline((0, 0), slope=1, color='grey', linewidth=0.8)
    axes[0, 2].set(xlabel='target (PatchStd)', ylabel='prediction')
    axes[0, 2].set_title('trajectory values of valid masked tokens',
                         fontsize=9)

    steps = clip.traj_len
    k = int(round(math.sqrt(target_traj.shape[1] / (2 * steps))))
    order = np.argsort(-np.abs(target_traj).sum(-1) * valid)
    for col in range(num_examples):
        ax_traj, ax_hog = axes[1, col], axes[2, col]
        if col >= min(num_examples, int(valid.sum())):
            ax_traj.set_axis_off()
            ax_hog.set_axis_off()
            continue
        row = order[col]
        t, h, w = np.unravel_index(masked[row], shape)
        for values, style in ((target_traj[row], '-'), (pred_traj[row], '--')):
            # (c, step, h2, w2) -> per sub-cell polylines from its own
            # origin, spread on a 4-unit grid so they do not overlap.
            moves = values.reshape(2, steps, k, k)
            for h2 in range(k):
                for w2 in range(k):
                    points = np.cumsum(np.concatenate(
                        [[[4. * w2, 4. * h2]], moves[:, :, h2, w2].T]), 0)
                    ax_traj.plot(*points.T, style, marker='.',
                                 color=f'C{h2 * k + w2}')
        ax_traj.set_aspect('equal')
        ax_traj.invert_yaxis()
        ax_traj.set_title(f'token t={t} h={h} w={w}: sub-trajectories\n'
                          '(target solid, prediction dashed)', fontsize=9)
        ax_hog.plot(target_hog[row], label='target')
        ax_hog.plot(pred_hog[row], label='prediction')
        ax_hog.set_xlabel('(colour, bin, h2, w2)')
        ax_hog.set_title('HOG', fontsize=9)
        ax_hog.legend(fontsize=8)
    _save(fig, path, written)


def visualize(video: str,
              out_dir: str,
              config: Optional[str] = None,
              checkpoint: Optional[str] = None,
              start: int = 0,
              seed: int = 0) -> List[str]:
    """Draw one clip's targets (and predictions) into ``out_dir``.

    Args:
        video (str): Video path.
        out_dir (str): Folder for the pictures; created if needed.
        config (str, optional): Config whose training pipeline (and model)
            is used; a built-in pipeline without one.
        checkpoint (str, optional): Weights of the config's model; adds
            ``predictions.png``.
        start (int): First raw frame of the clip. Defaults to 0.
        seed (int): Seed of random crops and the mask. Defaults to 0.

    Returns:
        list[str]: The files written.
    """
    if not Path(video).is_file():
        raise FileNotFoundError(f'No video at {video}.')
    if start < 0:
        raise ValueError(f'start must be a frame index >= 0, got {start}.')
    if checkpoint is not None and config is None:
        raise ValueError('A checkpoint needs the config of its model.')
    init_default_scope('mmaction')
    cfg = Config.fromfile(config) if config else None
    clip = sample_clip(video, cfg, start, seed)
    generator = MODELS.build(
        cfg.model.target_generator if cfg else dict(type='HOGGenerator'))

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: List[str] = []
    draw_frames(clip, out / 'frames.png', written)
    draw_flow(video, clip, out / 'flow.png', written)
    draw_trajectories(clip, out / 'trajectories.png',
                      out / 'trajectories.gif', written)
    draw_mask(clip, out / 'mask.png', written)
    draw_hog(clip, generator, out / 'hog.png', written)
    if checkpoint is not None:
        draw_predictions(clip, predict(cfg, checkpoint, clip),
                         out / 'predictions.png', written)
    return written


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('video', help='video file')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument(
        '--config', help='config whose training pipeline and model are used')
    parser.add_argument(
        '--checkpoint', help='weights of the config\'s model: draw its '
        'predictions too')
    parser.add_argument(
        '--start', type=int, default=0, help='first raw frame of the clip')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of crops and the mask')
    args = parser.parse_args()
    if args.checkpoint and not args.config:
        parser.error('--checkpoint needs --config')
    return args


def main() -> None:
    args = parse_args()
    try:
        written = visualize(args.video, args.out, args.config,
                            args.checkpoint, args.start, args.seed)
    except FileNotFoundError as error:
        sys.exit(f'error: {error}')
    print('\n'.join(written))


if __name__ == '__main__':
    main()

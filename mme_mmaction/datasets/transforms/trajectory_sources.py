"""Where trajectories come from: online flow, or files made offline.

A source returns, for every tubelet, the per-step displacements of given
seeds in raw-frame pixels and their validity; :class:`TrajectoryTarget`
maps seeds and displacements between raw and final frames.
"""
import os.path as osp
from typing import Dict, Optional, Tuple

import cv2
import numpy as np

from mme_mmaction.motion import (DEFAULT_FLOW, OpticalFlow, bilinear_sample,
                                 track_points)
from mme_mmaction.motion.storage import (ReleaseFlowReader, TrajectoryReader,
                                         read_release_trajectories)
from .bad_input import BadInputError

# (tubelets, L, P, 2) raw-pixel steps and (tubelets, P) validity.
Tracks = Tuple[np.ndarray, np.ndarray]


def tubelet_starts(results: Dict, tubelet_size: int) -> np.ndarray:
    """Raw index of every tubelet's first sampled frame, (T',)."""
    return np.asarray(results['frame_inds']).reshape(-1)[::tubelet_size]


class OnlineFlow:
    """Flow between the raw frames :class:`DecordDecodeWithTrajectoryFrames`
    decoded, at the final frame's scale (shorter side at least
    ``min_flow_size``, never above native).

    Args:
        flow (dict, optional): :class:`~mme_mmaction.motion.OpticalFlow`
            options. Defaults to :data:`~mme_mmaction.motion.DEFAULT_FLOW`.
        min_flow_size (int): Smallest shorter side of the flow frames.
            Defaults to 224.
        margin (float, optional): Compute flow only on the crop grown by
            this fraction of its size on each side, which is several times
            cheaper when crops are small; points that leave that region
            turn invalid. Defaults to None: the whole frame, where points
            turn invalid only when they leave the video (METHOD §4.2).
    """

    def __init__(self, flow: Optional[dict] = None, min_flow_size: int = 224,
                 margin: Optional[float] = None) -> None:
        self.flow = OpticalFlow(**(flow or DEFAULT_FLOW))
        self.min_flow_size = min_flow_size
        self.margin = margin

    def _region(self, results: Dict, height: int,
                width: int) -> Tuple[int, int, int, int]:
        """(x0, y0, x1, y1) of the raw frames to compute flow on."""
        if self.margin is None:
            return 0, 0, width, height
        qx, qy, qw, qh = results.get('crop_quadruple', (0., 0., 1., 1.))
        m = self.margin
        return (max(int(np.floor((qx - m * qw) * width)), 0),
                max(int(np.floor((qy - m * qh) * height)), 0),
                min(int(np.ceil((qx + qw + m * qw) * width)), width),
                min(int(np.ceil((qy + qh + m * qh) * height)), height))

    def __call__(self, results: Dict, seeds: np.ndarray,
                 to_final: np.ndarray, traj_len: int) -> Tracks:
        frames = results.pop('traj_frames')
        frame_map = results.pop('traj_frame_map')
        if frame_map.shape[1] != traj_len + 1:
            raise ValueError(
                f'{results.get("filename")}: frames were decoded for '
                f'traj_len={frame_map.shape[1] - 1}, but TrajectoryTarget '
                f'has traj_len={traj_len}.')
        x0, y0, x1, y1 = self._region(results, *frames.shape[1:])
        region = np.array([x1 - x0, y1 - y0], dtype=np.float64)
        scale = np.maximum(np.abs(to_final), self.min_flow_size / region.min())
        flow_size = tuple(np.round(region * np.minimum(scale, 1.)).astype(int))
        to_flow = np.array(flow_size) / region
        frames = [
            cv2.resize(f[y0:y1, x0:x1], flow_size,
                       interpolation=cv2.INTER_AREA)
            if flow_size != tuple(region.astype(int)) else f[y0:y1, x0:x1]
            for f in frames
        ]
        chains = [list(zip(c[:-1], c[1:])) for c in frame_map.tolist()]
        flows = {(a, b): self.flow(frames[a], frames[b])
                 for a, b in {pair for chain in chains for pair in chain}}
        seeds = (seeds - (x0, y0)) * to_flow
        tracks = [
            track_points([flows[p] for p in chain], seeds)
            for chain in chains
        ]
        steps = np.stack([steps for steps, _ in tracks]) / to_flow
        return steps, np.stack([valid for _, valid in tracks])

    def __repr__(self) -> str:
        return (f'OnlineFlow(flow={self.flow!r}, '
                f'min_flow_size={self.min_flow_size}, margin={self.margin})')


def _video_key(results: Dict, video_root: Optional[str]) -> str:
    """The video's path below ``video_root`` without extension."""
    filename = results['filename']
    relative = (osp.relpath(filename, video_root)
                if video_root else osp.basename(filename))
    return osp.splitext(relative)[0]


class StoredTrajectories:
    """Trajectories of every start frame on the native cell grid, stored by
    ``tools/data/extract_trajectories.py`` (``format='ours'``, one
    memory-mapped ``.npy`` per video) or by the authors' release
    (``format='release'``, ``<video>_<L>.gz``). Seeds between grid points
    take the bilinear mix of their neighbours' trajectories, and are valid
    when every neighbour they mix is.
    """

    def __init__(self, root: str, format: str = 'ours',
                 video_root: Optional[str] = None, tubelet_size: int = 2,
                 cell_size: int = 8) -> None:
        if format not in ('ours', 'release'):
            raise ValueError(f"format must be 'ours' or 'release', got "
                             f'{format!r}.')
        self.root = root
        self.format = format
        self.video_root = video_root
        self.tubelet_size = tubelet_size
        self.cell_size = cell_size

    def _read(self, results: Dict,
              traj_len: int) -> Tuple[np.ndarray, np.ndarray, str]:
        """Stored (T', L, 2, Hg, Wg) fields, (T', Hg, Wg) validity, path."""
        key = _video_key(results, self.video_root)
        suffix = f'_{traj_len}.gz' if self.format == 'release' else '.npy'
        path = osp.join(self.root, key + suffix)
        if not osp.exists(path):
            raise BadInputError(f'{path}: trajectory file is missing.')
        try:
            if self.format == 'release':
                traj, valid = read_release_trajectories(path)
            else:
                reader = TrajectoryReader(path, self.cell_size)
        except ValueError as error:
            raise BadInputError(str(error)) from error
        num_starts, steps = ((len(traj), traj.shape[1])
                             if self.format == 'release' else
                             (reader.num_starts, reader.traj_len))
        starts = tubelet_starts(results, self.tubelet_size)
        if steps != traj_len:
            raise BadInputError(f'{path}: stores trajectories of {steps} '
                                f'steps, not {traj_len}.')
        if starts.max() >= num_starts:
            raise BadInputError(
                f'{path}: has trajectories for start frames '
                f'0..{num_starts - 1}, the clip needs {starts.max()}.')
        if self.format == 'release':
            return traj[starts], valid[starts], path
        # Memory-mapped: only the clip's start frames are read.
        try:
            fields, valid = zip(*(reader.read(int(s)) for s in starts))
        except ValueError as error:  # corrupt values
            raise BadInputError(str(error)) from error
        return np.stack(fields), np.stack(valid), path

    def __call__(self, results: Dict, seeds: np.ndarray,
                 to_final: np.ndarray, traj_len: int) -> Tracks:
        fields, valid, path = self._read(results, traj_len)
        orig_h, orig_w = results['original_shape']
        grid = (orig_h // self.cell_size, orig_w // self.cell_size)
        if fields.shape[-2:] != grid:
            raise BadInputError(
                f'{path}: stored grid {fields.shape[-2:]} does not match the '
                f'video ({orig_h}x{orig_w} gives {grid} cells of '
                f'{self.cell_size}).')
        points = seeds / self.cell_size  # grid point (i, j) at (j+.5, i+.5)
        inside = ((seeds >= 0) & (seeds < (orig_w, orig_h))).all(1)
        steps, valids = [], []
        for field, ok in zip(fields, valid):
            # (L, 2, Hg, Wg) -> (Hg, Wg, L * 2)
            flat = field.transpose(2, 3, 0, 1).reshape(*grid, -1)
            steps.append(
                bilinear_sample(flat, points).reshape(-1, traj_len,
                                                      2).transpose(1, 0, 2))
            mixed = bilinear_sample(ok[..., None].astype(np.float32), points)
            valids.append(inside & (mixed[:, 0] > 1 - 1e-6))
        steps = np.stack(steps) * np.stack(valids)[:, None, :, None]
        return steps, np.stack(valids)

    def __repr__(self) -> str:
        return (f'StoredTrajectories(root={self.root!r}, '
                f'format={self.format!r}, video_root={self.video_root!r})')


class ReleaseFlowVideos:
    """The release's flow videos ``<root>/<video>/x.mp4`` and ``y.mp4``,
    de-quantised (METHOD §4.1), tracked like online flow at native size."""

    def __init__(self, root: str, video_root: Optional[str] = None,
                 tubelet_size: int = 2) -> None:
        self.root = root
        self.video_root = video_root
        self.tubelet_size = tubelet_size

    def __call__(self, results: Dict, seeds: np.ndarray,
                 to_final: np.ndarray, traj_len: int) -> Tracks:
        video_dir = osp.join(self.root, _video_key(results, self.video_root))
        try:
            reader = ReleaseFlowReader(video_dir)
        except (FileNotFoundError, ValueError) as error:
            raise BadInputError(str(error)) from error
        if tuple(reader.shape) != tuple(results['original_shape']):
            raise BadInputError(
                f'{video_dir}: flow of {reader.shape} does not match the '
                f'video\'s {tuple(results["original_shape"])}.')
        starts = tubelet_starts(results, self.tubelet_size)
        needed = starts[:, None] + np.arange(traj_len)
        if needed.max() >= reader.num_flows:
            raise BadInputError(
                f'{video_dir}: has {reader.num_flows} flow fields, the clip '
                f'needs field {needed.max()}.')
        indices, inverse = np.unique(needed, return_inverse=True)
        flows = reader.read(indices.tolist())
        tracks = [
            track_points(list(flows[chain]), seeds)
            for chain in inverse.reshape(needed.shape)
        ]
        return (np.stack([steps for steps, _ in tracks]),
                np.stack([valid for _, valid in tracks]))

    def __repr__(self) -> str:
        return (f'ReleaseFlowVideos(root={self.root!r}, '
                f'video_root={self.video_root!r})')

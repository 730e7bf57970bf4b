"""Trajectories stored offline, by our tool or the authors' release."""
import os.path as osp
from typing import Dict, Optional, Tuple

import numpy as np

from mme_mmaction.motion import bilinear_sample
from mme_mmaction.motion.storage import (TrajectoryReader,
                                         read_release_trajectories)
from mme_mmaction.registry import TRAJECTORY_SOURCES
from ..bad_input import BadInputError
from .base import Tracks, TrajectorySource, tubelet_starts, video_key


@TRAJECTORY_SOURCES.register_module(name=['stored', 'StoredTrajectories'])
class StoredTrajectories(TrajectorySource):
    """Trajectories of every start frame on the native cell grid.

    Stored by ``tools/data/extract_trajectories.py`` (``format='ours'``,
    one memory-mapped ``.npy`` per video) or by the authors' release
    (``format='release'``, ``<video>_<L>.gz``), under ``root`` and named by
    the video's path below ``video_root`` (or its file name) without
    extension. Seeds between grid points take the bilinear mix of their
    neighbours' trajectories, and are valid when every neighbour they mix
    is.

    Args:
        root (str): Folder of the files.
        format (str): ``'ours'`` (default) or ``'release'``.
        video_root (str, optional): Folder the videos' keys are relative to.
        native_cell_size (int): Spacing of the stored grid in the video's
            own pixels (the extraction's ``--cell-size``, recorded in its
            ``manifest.json``; ``TrajectoryTarget.cell_size`` is in final
            frame pixels). Defaults to 8 (the extraction tool's).
    """

    def __init__(self, root: str, format: str = 'ours',
                 video_root: Optional[str] = None,
                 native_cell_size: int = 8) -> None:
        if format not in ('ours', 'release'):
            raise ValueError(f"format must be 'ours' or 'release', got "
                             f'{format!r}.')
        self.root = root
        self.format = format
        self.video_root = video_root
        self.native_cell_size = native_cell_size

    def _read(self, results: Dict) -> Tuple[np.ndarray, np.ndarray, str]:
        """Stored (T', L, 2, Hg, Wg) fields, (T', Hg, Wg) validity, path."""
        traj_len = results['traj_len']
        key = video_key(results, self.video_root)
        suffix = f'_{traj_len}.gz' if self.format == 'release' else '.npy'
        path = osp.join(self.root, key + suffix)
        if not osp.exists(path):
            raise BadInputError(f'{path}: trajectory file is missing.')
        try:
            if self.format == 'release':
                traj, valid = read_release_trajectories(path)
            else:
                reader = TrajectoryReader(path, self.native_cell_size)
        except ValueError as error:
            raise BadInputError(str(error)) from error
        num_starts, steps = ((len(traj), traj.shape[1])
                             if self.format == 'release' else
                             (reader.num_starts, reader.traj_len))
        starts = tubelet_starts(results)
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

    def read(self, results: Dict, seeds: np.ndarray) -> Tracks:
        """See :meth:`TrajectorySource.read`."""
        fields, valid, path = self._read(results)
        orig_h, orig_w = results['original_shape']
        cell = self.native_cell_size
        grid = (orig_h // cell, orig_w // cell)
        if fields.shape[-2:] != grid:
            raise BadInputError(
                f'{path}: stored grid {fields.shape[-2:]} does not match the '
                f'video ({orig_h}x{orig_w} gives {grid} cells of '
                f'{cell}).')
        points = seeds / cell  # grid point (i, j) at (j+.5, i+.5)
        inside = ((seeds >= 0) & (seeds < (orig_w, orig_h))).all(1)
        steps, valids = [], []
        for field, ok in zip(fields, valid):
            # (L, 2, Hg, Wg) -> (Hg, Wg, L * 2)
            flat = field.transpose(2, 3, 0, 1).reshape(*grid, -1)
            steps.append(
                bilinear_sample(flat, points).reshape(
                    -1, len(field), 2).transpose(1, 0, 2))
            mixed = bilinear_sample(ok[..., None].astype(np.float32), points)
            valids.append(inside & (mixed[:, 0] > 1 - 1e-6))
        steps = np.stack(steps) * np.stack(valids)[:, None, :, None]
        return steps, np.stack(valids)

    def __repr__(self) -> str:
        return (f'StoredTrajectories(root={self.root!r}, '
                f'format={self.format!r}, video_root={self.video_root!r}, '
                f'native_cell_size={self.native_cell_size})')

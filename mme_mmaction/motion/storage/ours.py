"""Our format: one memory-mappable float16 ``.npy`` per video + a manifest."""
import json
import os
from typing import Dict, Tuple

import numpy as np

from .atomic import atomic_write, check_traj

MANIFEST_NAME = 'manifest.json'
MANIFEST_FORMAT = 'mme_mmaction.trajectories'
MANIFEST_VERSION = 1


def write_trajectories(path: str, traj: np.ndarray, valid: np.ndarray) -> None:
    """Atomically save one video's trajectories as a float16 ``.npy``.

    Invalid seeds are stored as NaN in all their values, so the file needs
    no second array. A killed writer leaves no partial ``path`` (at most a
    hidden temporary, see :func:`~.atomic.temporary_path`).

    Args:
        path (str): Destination ``<stem>.npy``; parent dirs are created.
        traj (np.ndarray): float (T_avail, L, 2, Hg, Wg) per-step
            displacements (dx, dy) of the cell seeds, for every start frame.
        valid (np.ndarray): bool (T_avail, Hg, Wg) seed validity.

    Raises:
        ValueError: If the shapes do not match, a valid seed has NaN, or no
            seed is valid (:class:`TrajectoryReader` calls such a file
            corrupt).
    """
    traj = np.asarray(traj)
    valid = np.asarray(valid, dtype=bool)
    check_traj(traj, valid)
    if valid.size and not valid.any():
        raise ValueError(f'No seed of any start frame is valid: {path} '
                         'would hold nothing but NaN.')
    data = np.where(valid[:, None, None], traj, np.nan).astype(np.float16)

    def write(tmp: str) -> None:
        with open(tmp, 'wb') as f:
            np.save(f, data)

    atomic_write(path, write)


class TrajectoryReader:
    """Memory-mapped reader of a file written by :func:`write_trajectories`.

    Only the start frames that are read are loaded. Pickling reopens the
    file rather than copying the array, so readers can go to data workers.
    Every read checks its values: NaN in all the values of a seed marks an
    invalid seed, anything else must be a finite displacement that stays
    within the frame's size (a larger step would have left the frame). A
    seed with NaN in only some of its values, inf, a step out of range or
    a file with no valid seed at all is corrupt and raises rather than
    reaching the loss.

    Args:
        path (str): A ``<stem>.npy`` trajectory file.
        cell_size (int): Seed cell side in native pixels, which gives the
            frame's size from the grid. Defaults to 8.
    """

    def __init__(self, path: str, cell_size: int = 8) -> None:
        self.path = path
        self.cell_size = cell_size
        try:
            array = np.load(path, mmap_mode='r')
        # A missing file keeps its own error: it is not a corrupt one.
        except FileNotFoundError:
            raise
        except (ValueError, OSError, EOFError) as err:
            raise ValueError(f'{path} is not a readable trajectory .npy file '
                             f'(corrupt or truncated?): {err}') from err
        if not isinstance(array, np.ndarray) or array.ndim != 5 \
                or array.shape[2] != 2:
            shape = getattr(array, 'shape', type(array).__name__)
            raise ValueError(f'{path} must hold a (T_avail, L, 2, Hg, Wg) '
                             f'array, found {shape}.')
        if array.dtype not in (np.float16, np.float32):
            raise ValueError(f'{path} must hold float16 or float32 '
                             f'trajectories, found {array.dtype}.')
        self._array = array

    def __reduce__(self) -> Tuple[type, Tuple[str, int]]:
        return self.__class__, (self.path, self.cell_size)

    @property
    def num_starts(self) -> int:
        """int: Number of start frames, T_avail = num_frames - L."""
        return self._array.shape[0]

    @property
    def traj_len(self) -> int:
        """int: Steps per trajectory, L."""
        return self._array.shape[1]

    @property
    def grid(self) -> Tuple[int, int]:
        """tuple[int, int]: (Hg, Wg) seed grid, the native frame / cell."""
        return self._array.shape[3], self._array.shape[4]

    def read(self, start: int) -> Tuple[np.ndarray, np.ndarray]:
        """Read the trajectories that start at raw frame ``start``.

        Args:
            start (int): Raw start frame, in ``[0, num_starts)``.

        Returns:
            tuple[np.ndarray, np.ndarray]: float32 (L, 2, Hg, Wg)
            displacements, 0 for invalid seeds, and bool (Hg, Wg) validity.

        Raises:
            ValueError: If a seed is NaN in some but not all of its values,
                every value of the file is NaN, a value is infinite or a
                step exceeds the frame.
        """
        if not 0 <= start < self.num_starts:
            raise IndexError(f'Start frame {start} is out of range for '
                             f'{self.path}: it has {self.num_starts} start '
                             f'frames (0..{self.num_starts - 1}).')
        traj = np.array(self._array[start], dtype=np.float32)
        missing = np.isnan(traj)
        invalid = missing.all(axis=(0, 1))
        partial = missing.any(axis=(0, 1)) & ~invalid
        if partial.any():
            row, col = np.argwhere(partial)[0]
            raise ValueError(
                f'{self.path} is corrupt: start frame {start} holds '
                f'{partial.sum()} seeds with NaN in some but not all of '
                f'their {traj.shape[0]} x 2 values (the first at grid row '
                f'{row}, column {col}); an invalid seed is NaN in all of '
                'them.')
        # A start frame without a valid seed can be genuine (every point
        # left the frame); a file without one cannot.
        if invalid.size and invalid.all() and self._all_nan():
            raise ValueError(
                f'{self.path} is corrupt: every value is NaN (read at start '
                f'frame {start}), no seed of any start frame is valid.')
        traj[missing] = 0
        # Per axis (dx, dy): the frame spans less than (grid + 1) cells.
        limit = (np.array(self.grid[::-1]) + 1.) * self.cell_size
        size = np.abs(traj).max(axis=(0, 2, 3))
        if not (np.isfinite(size) & (size <= limit)).all():
            raise ValueError(
                f'{self.path} is corrupt: start frame {start} holds '
                f'displacements of up to (dx, dy) = {tuple(size.tolist())} '
                f'px, but a step can be at most the frame size '
                f'{tuple(limit.tolist())} px (inf or out-of-range values).')
        return traj, ~invalid

    def _all_nan(self) -> bool:
        """Whether every value of the file is NaN, reading start frames
        only until one holds a number."""
        return all(
            np.isnan(self._array[start]).all()
            for start in range(self.num_starts))


def write_manifest(out_dir: str, traj_len: int, cell_size: int,
                   flow: Dict) -> None:
    """Atomically write ``out_dir/manifest.json`` describing the settings.

    Args:
        out_dir (str): Directory of the trajectory files.
        traj_len (int): Steps per trajectory, L.
        cell_size (int): Seed cell side in native pixels.
        flow (dict): JSON-serialisable optical flow settings.
    """
    manifest = {
        'format': MANIFEST_FORMAT,
        'version': MANIFEST_VERSION,
        'traj_len': traj_len,
        'cell_size': cell_size,
        'flow': flow,
        'dtype': 'float16',
    }

    def write(tmp: str) -> None:
        with open(tmp, 'w') as f:
            json.dump(manifest, f, indent=2)

    atomic_write(os.path.join(out_dir, MANIFEST_NAME), write)


def read_manifest(out_dir: str) -> Dict:
    """Read and validate ``out_dir/manifest.json``.

    Args:
        out_dir (str): Directory of the trajectory files.

    Returns:
        dict: The manifest written by :func:`write_manifest`.
    """
    path = os.path.join(out_dir, MANIFEST_NAME)
    with open(path) as f:
        try:
            manifest = json.load(f)
        except json.JSONDecodeError as err:
            raise ValueError(f'{path} is not valid JSON: {err}') from err
    if not isinstance(manifest, dict) \
            or manifest.get('format') != MANIFEST_FORMAT:
        raise ValueError(f'{path} is not a {MANIFEST_FORMAT} manifest.')
    if manifest.get('version') != MANIFEST_VERSION:
        raise ValueError(f'{path} has version {manifest.get("version")!r}; '
                         f'this code reads version {MANIFEST_VERSION}.')
    return manifest

"""Whole-or-absent file writes and the checks shared by the formats."""
import contextlib
import os
from typing import Callable

import numpy as np


def atomic_write(path: str,
                 write: Callable[[str], None],
                 suffix: str = '') -> None:
    """Write ``path`` through a temporary file, so it is whole or absent.

    Args:
        path (str): Destination; parent directories are created.
        write (Callable[[str], None]): Writes the content to the path given.
        suffix (str): Appended to the temporary name, for writers that pick
            the container from the extension.
    """
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    # Same directory, so that os.replace is an atomic rename.
    tmp = f'{path}.tmp-{os.getpid()}{suffix}'
    try:
        write(tmp)
        # The data must be on disk before the rename publishes it.
        with open(tmp, 'rb+') as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def check_traj(traj: np.ndarray, valid: np.ndarray) -> None:
    """Check our layout: (T_avail, L, 2, Hg, Wg) and (T_avail, Hg, Wg)."""
    if traj.ndim != 5 or traj.shape[2] != 2:
        raise ValueError('Trajectories must be (T_avail, L, 2, Hg, Wg), got '
                         f'shape {traj.shape}.')
    expected = (traj.shape[0], ) + traj.shape[3:]
    if valid.shape != expected:
        raise ValueError(f'Validity must be (T_avail, Hg, Wg) = {expected}, '
                         f'got shape {valid.shape}.')
    if (np.isnan(traj).any(axis=(1, 2)) & valid).any():
        raise ValueError('Valid seeds must have no NaN displacements.')

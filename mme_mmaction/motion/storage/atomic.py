"""Whole-or-absent file writes and the checks shared by the formats."""
import contextlib
import os
import re
import secrets
from typing import Callable, Optional

import numpy as np

# '.<name>.mme-tmp-<pid>-<token>[<suffix>]': hidden, with a random token, so
# that no file a user names can be taken for one of ours.
_TEMPORARY = re.compile(
    r'^\.(?P<name>.+)\.mme-tmp-(?P<pid>\d+)-[0-9a-f]{16}(\.\w+)?$')


def temporary_path(path: str, suffix: str = '') -> str:
    """A fresh temporary name beside ``path`` (same folder, so same disk).

    Args:
        path (str): The file the temporary will become.
        suffix (str): Appended, for writers that pick the container from
            the extension.

    Returns:
        str: ``<folder>/.<name>.mme-tmp-<pid>-<16 hex digits><suffix>``.
    """
    folder, name = os.path.split(os.path.abspath(path))
    # Shortened, so that a name near the file system's limit (255 bytes)
    # still has a temporary.
    return os.path.join(
        folder, f'.{name[:120]}.mme-tmp-{os.getpid()}-'
        f'{secrets.token_hex(8)}{suffix}')


def temporary_writer(name: str) -> Optional[int]:
    """The process id that wrote a temporary of :func:`temporary_path`.

    Args:
        name (str): A file name (no folder).

    Returns:
        int | None: The writer's pid, or None if ``name`` is not one of our
        temporaries.
    """
    match = _TEMPORARY.match(name)
    return None if match is None else int(match.group('pid'))


def atomic_write(path: str,
                 write: Callable[[str], None],
                 suffix: str = '') -> None:
    """Write ``path`` through a temporary file, so it is whole or absent.

    A failure (a full disk, an exception of ``write``, Ctrl-C) removes the
    temporary and re-raises the original error; an existing ``path`` is
    kept until the new content is complete and on disk.

    Args:
        path (str): Destination; parent directories are created.
        write (Callable[[str], None]): Writes the content to the path given.
        suffix (str): Appended to the temporary name, for writers that pick
            the container from the extension.
    """
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    # Same directory, so that os.replace is an atomic rename.
    tmp = temporary_path(path, suffix)
    try:
        write(tmp)
        # The data must be on disk before the rename publishes it.
        with open(tmp, 'rb+') as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
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

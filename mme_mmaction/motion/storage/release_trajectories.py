"""The authors' release trajectory files ``<video>_<L>.gz`` (gzip pickles)."""
import gzip
import io
import os
import pickle
import zlib
from typing import Any, Dict, Tuple

import numpy as np

from .atomic import atomic_write, check_traj

RELEASE_TRAJ_BOUND = 20
# What a pickle of a dict of numpy arrays needs (numpy 1 and 2 names; the
# codec is how protocol 2 stores bytes). Nothing here can run other code.
_ALLOWED_GLOBALS = frozenset({
    ('numpy', 'ndarray'),
    ('numpy', 'dtype'),
    ('numpy.core.multiarray', '_reconstruct'),
    ('numpy._core.multiarray', '_reconstruct'),
    ('numpy.core.multiarray', 'scalar'),
    ('numpy._core.multiarray', 'scalar'),
    ('numpy.core.numeric', '_frombuffer'),
    ('numpy._core.numeric', '_frombuffer'),
    ('collections', 'OrderedDict'),
    ('_codecs', 'encode'),
})


class _RefusedGlobal(pickle.UnpicklingError):
    """A pickle names an object outside :data:`_ALLOWED_GLOBALS`."""


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Unpickles plain containers and numpy arrays, refusing anything else.

    A pickle calls whatever global it names on load, so a crafted file
    could run code in every data worker; the release's files need only
    numpy's array reconstruction.
    """

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise _RefusedGlobal(
                f'refusing to load {module}.{name}: a release trajectory '
                'file holds only a dict of numpy arrays')
        return super().find_class(module, name)


def _load_release_dict(path: str) -> Dict:
    """Decompress and unpickle a release ``.gz`` file, which must be a dict.

    Only containers and numpy arrays are unpickled (see
    :class:`_ArraysOnlyUnpickler`); a file that names any other object is
    refused before that object is created.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f'Trajectory file {path} does not exist.')
    try:
        with gzip.open(path, 'rb') as f:
            payload = f.read()
    except (OSError, EOFError, zlib.error) as err:
        raise ValueError(f'{path} is not a valid gzip file: {err}') from err
    try:
        # latin1: numpy arrays pickled by Python 2 store raw bytes as str.
        data = _ArraysOnlyUnpickler(
            io.BytesIO(payload), encoding='latin1').load()
    except _RefusedGlobal as err:
        raise ValueError(f'{path} is not a release trajectory file: '
                         f'{err}.') from err
    # Garbage bytes can make the unpickler raise almost any exception.
    except Exception as err:
        raise ValueError(f'{path} does not hold a pickle: {err!r}') from err
    if not isinstance(data, dict):
        raise ValueError(f'{path} must hold a dict, found '
                         f'{type(data).__name__}.')
    return data


def _release_arrays(path: str, data: Dict) -> Tuple[np.ndarray, np.ndarray]:
    """Check and return ``traj_feat`` and ``traj_type`` of a release file."""
    missing = {'traj_feat', 'traj_type'} - set(data)
    if missing:
        raise ValueError(f'{path} lacks the key(s) {sorted(missing)}; found '
                         f'{sorted(map(str, data))}.')
    feat = np.asarray(data['traj_feat'])
    kind = np.asarray(data['traj_type'])
    if feat.ndim != 4 or feat.shape[0] == 0 or feat.shape[0] % 2:
        raise ValueError(f'{path}: traj_feat must be (2L, T_avail, H/8, W/8) '
                         f'with L >= 1, found shape {feat.shape}.')
    if feat.dtype.kind not in 'biuf' or kind.dtype.kind not in 'biuf':
        raise ValueError(f'{path}: traj_feat and traj_type must be numeric, '
                         f'found {feat.dtype} and {kind.dtype}.')
    if kind.shape != feat.shape[1:]:
        raise ValueError(f'{path}: traj_type shape {kind.shape} does not '
                         f'match traj_feat shape {feat.shape} (expected '
                         f'{feat.shape[1:]}).')
    return feat, kind


def read_release_trajectories(path: str) -> Tuple[np.ndarray, np.ndarray]:
    """Read a release trajectory file ``<video>_<L>.gz`` (docs/method.md §4.2).

    The file is a gzip-compressed pickle of ``dict(traj_feat=int8 (2L,
    T_avail, H/8, W/8), traj_type=uint8 (T_avail, H/8, W/8))`` with
    ``traj_feat`` channels ``[dx_0..dx_{L-1}, dy_0..dy_{L-1}]`` in whole
    pixels. The whole file is decompressed: the format can not be read
    partially, so convert it with :func:`write_trajectories` for training.

    Assumption: the release does not document the values of ``traj_type``
    (docs/method.md §4.2); a seed is taken as valid where ``traj_type != 0``.

    Security: the file is unpickled with an unpickler that creates only
    plain containers and numpy arrays, so a crafted file cannot run code;
    it is refused with a ``ValueError`` instead.

    Args:
        path (str): The ``.gz`` file.

    Returns:
        tuple[np.ndarray, np.ndarray]: float32 (T_avail, L, 2, Hg, Wg)
        displacements, 0 for invalid seeds, and bool (T_avail, Hg, Wg)
        validity.
    """
    feat, kind = _release_arrays(path, _load_release_dict(path))
    steps = feat.shape[0] // 2
    # (c * L + j, t, h, w) -> (t, j, c, h, w)
    traj = feat.reshape((2, steps) + feat.shape[1:]).transpose(2, 1, 0, 3, 4)
    valid = kind != 0
    traj = np.where(valid[:, None, None], traj, 0).astype(np.float32)
    return traj, valid


def write_release_trajectories(path: str, traj: np.ndarray,
                               valid: np.ndarray) -> None:
    """Atomically write trajectories in the release's ``.gz`` format.

    Like the release, displacements are truncated toward zero (``int()``)
    and clamped to +-20 px before they are stored as int8; invalid seeds
    get zeros and ``traj_type`` 0, valid ones ``traj_type`` 1.

    Args:
        path (str): Destination ``<video>_<L>.gz``.
        traj (np.ndarray): float (T_avail, L, 2, Hg, Wg) displacements.
        valid (np.ndarray): bool (T_avail, Hg, Wg) validity.
    """
    traj = np.asarray(traj, dtype=np.float64)
    valid = np.asarray(valid, dtype=bool)
    check_traj(traj, valid)
    traj = np.where(valid[:, None, None], traj, 0)
    whole = np.clip(np.trunc(traj), -RELEASE_TRAJ_BOUND, RELEASE_TRAJ_BOUND)
    # (t, j, c, h, w) -> (c * L + j, t, h, w)
    feat = whole.astype(np.int8).transpose(2, 1, 0, 3, 4)
    feat = np.ascontiguousarray(feat.reshape((-1, ) + feat.shape[2:]))
    data = {'traj_feat': feat, 'traj_type': valid.astype(np.uint8)}

    def write(tmp: str) -> None:
        # filename='' and mtime=0 keep the temporary name and the time out
        # of the gzip header: equal inputs give equal files.
        with open(tmp, 'wb') as f:
            with gzip.GzipFile(filename='', mode='wb', fileobj=f,
                               mtime=0) as gz:
                pickle.dump(data, gz, protocol=4)

    atomic_write(path, write)

"""On-disk formats of dense trajectories and optical flow (METHOD §4).

Three formats, each with a writer and a reader:

* ours: one memory-mappable float16 ``<stem>.npy`` per video plus a
  dataset-level ``manifest.json``;
* the release's trajectory files ``<video>_<L>.gz`` (gzip pickles);
* the release's flow videos ``x.mp4`` / ``y.mp4`` (8-bit grey).

Trajectories are always returned in our layout: per-step displacements
(dx, dy) in pixels of the seeds at the centres of the 8x8 cells of the native
frame, ``(T_avail, L, 2, Hg, Wg)`` for every raw start frame, with a bool
``(T_avail, Hg, Wg)`` validity; invalid seeds have all-zero displacements.
"""
import contextlib
import gzip
import json
import os
import pickle
import zlib
from typing import Callable, Dict, Sequence, Tuple

import cv2
import decord
import numpy as np

MANIFEST_NAME = 'manifest.json'
MANIFEST_FORMAT = 'mme_mmaction.trajectories'
MANIFEST_VERSION = 1
FLOW_BOUND = 20.0
RELEASE_TRAJ_BOUND = 20
FLOW_VIDEO_NAMES = ('x.mp4', 'y.mp4')


def _atomic_write(path: str,
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


def _check_traj(traj: np.ndarray, valid: np.ndarray) -> None:
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


# ---------------------------------------------------------------- ours (.npy)


def write_trajectories(path: str, traj: np.ndarray, valid: np.ndarray) -> None:
    """Atomically save one video's trajectories as a float16 ``.npy``.

    Invalid seeds are stored as NaN in all their values, so the file needs
    no second array. A killed writer leaves no partial ``path`` (at most a
    ``path.tmp-<pid>`` file).

    Args:
        path (str): Destination ``<stem>.npy``; parent dirs are created.
        traj (np.ndarray): float (T_avail, L, 2, Hg, Wg) per-step
            displacements (dx, dy) of the cell seeds, for every start frame.
        valid (np.ndarray): bool (T_avail, Hg, Wg) seed validity.
    """
    traj = np.asarray(traj)
    valid = np.asarray(valid, dtype=bool)
    _check_traj(traj, valid)
    data = np.where(valid[:, None, None], traj, np.nan).astype(np.float16)

    def write(tmp: str) -> None:
        with open(tmp, 'wb') as f:
            np.save(f, data)

    _atomic_write(path, write)


class TrajectoryReader:
    """Memory-mapped reader of a file written by :func:`write_trajectories`.

    Only the start frames that are read are loaded. Pickling reopens the
    file rather than copying the array, so readers can go to data workers.

    Args:
        path (str): A ``<stem>.npy`` trajectory file.
    """

    def __init__(self, path: str) -> None:
        self.path = path
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

    def __reduce__(self) -> Tuple[type, Tuple[str]]:
        return self.__class__, (self.path, )

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
        """
        if not 0 <= start < self.num_starts:
            raise IndexError(f'Start frame {start} is out of range for '
                             f'{self.path}: it has {self.num_starts} start '
                             f'frames (0..{self.num_starts - 1}).')
        traj = np.array(self._array[start], dtype=np.float32)
        missing = np.isnan(traj)
        traj[missing] = 0
        return traj, ~missing.any(axis=(0, 1))


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

    _atomic_write(os.path.join(out_dir, MANIFEST_NAME), write)


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


# ------------------------------------------------- release trajectories (.gz)


def _load_release_dict(path: str) -> Dict:
    """Decompress and unpickle a release ``.gz`` file, which must be a dict."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f'Trajectory file {path} does not exist.')
    try:
        with gzip.open(path, 'rb') as f:
            payload = f.read()
    except (OSError, EOFError, zlib.error) as err:
        raise ValueError(f'{path} is not a valid gzip file: {err}') from err
    try:
        data = pickle.loads(payload)
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
    """Read a release trajectory file ``<video>_<L>.gz`` (METHOD §4.2).

    The file is a gzip-compressed pickle of ``dict(traj_feat=int8 (2L,
    T_avail, H/8, W/8), traj_type=uint8 (T_avail, H/8, W/8))`` with
    ``traj_feat`` channels ``[dx_0..dx_{L-1}, dy_0..dy_{L-1}]`` in whole
    pixels. The whole file is decompressed: the format can not be read
    partially, so convert it with :func:`write_trajectories` for training.

    Assumption: METHOD does not give the values of ``traj_type``; a seed is
    taken as valid where ``traj_type != 0``.

    Security: unpickling runs code chosen by the file's author. Only read
    your own, trusted files.

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
    _check_traj(traj, valid)
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

    _atomic_write(path, write)


# ---------------------------------------------------- release flow (x/y.mp4)


def quantize_flow(v: np.ndarray) -> np.ndarray:
    """Quantise flow as the release does: ``round(255 (clip(v) + 20) / 40)``.

    Zero flow gives 127.5, which numpy rounds half to even: 128.

    Args:
        v (np.ndarray): Flow components in pixels, any shape.

    Returns:
        np.ndarray: uint8 codes of the same shape.
    """
    clipped = np.clip(v, -FLOW_BOUND, FLOW_BOUND)
    codes = np.rint(255 * (clipped + FLOW_BOUND) / (2 * FLOW_BOUND))
    return codes.astype(np.uint8)


def dequantize_flow(u8: np.ndarray) -> np.ndarray:
    """Invert :func:`quantize_flow`: ``v = u8 * 40 / 255 - 20``.

    The release's loader forgot this step (METHOD §4.1). Code 128 gives
    0.0784 px, not 0.

    Args:
        u8 (np.ndarray): uint8 codes, any shape.

    Returns:
        np.ndarray: float32 flow in pixels, same shape.
    """
    scale = np.float32(2 * FLOW_BOUND / 255)
    return u8.astype(np.float32) * scale - np.float32(FLOW_BOUND)


def _write_grey_video(path: str, frames: np.ndarray, fourcc: str,
                      fps: float) -> None:
    height, width = frames.shape[1:]

    def write(tmp: str) -> None:
        # A grey (isColor=False) writer encodes the codes as luma directly;
        # going through BGR -> YUV read every code back 3-4 lower.
        writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*fourcc), fps,
                                 (width, height), False)
        if not writer.isOpened():
            raise ValueError(f'OpenCV can not write {fourcc!r} video {path}.')
        for frame in frames:
            writer.write(np.ascontiguousarray(frame))
        writer.release()

    _atomic_write(path, write, suffix=os.path.splitext(path)[1])


def write_release_flow(video_dir: str,
                       flows: np.ndarray,
                       fourcc: str = 'mp4v',
                       fps: float = 25.0) -> None:
    """Write flow as the release's 8-bit grey videos ``x.mp4`` / ``y.mp4``.

    Frame i holds the flow from raw frame i to i+1, quantised with
    :func:`quantize_flow`, as a grey frame (decoders return it as RGB with
    equal channels). ``'mp4v'`` (the default; OpenCV wheels can not write
    H.264) is lossy: on smooth fields it reads back within 0.13 px on
    average and 0.9 px at worst, slightly low (about half a code). ``'png '``
    is lossless in the same ``.mp4`` container (OpenCV warns that it falls
    back to the 'mp4v' tag; FFmpeg-based readers such as decord still
    decode PNG exactly), at about 20x the size.

    Args:
        video_dir (str): Output directory, created if needed.
        flows (np.ndarray): float (N, H, W, 2) flow fields (dx, dy).
        fourcc (str): OpenCV four-character codec code.
        fps (float): Frame rate stored in the videos.
    """
    flows = np.asarray(flows)
    if flows.ndim != 4 or flows.shape[-1] != 2 or not len(flows):
        raise ValueError('Flows must be (N, H, W, 2) with N >= 1, got shape '
                         f'{flows.shape}.')
    codes = quantize_flow(flows)
    for channel, name in enumerate(FLOW_VIDEO_NAMES):
        _write_grey_video(os.path.join(video_dir, name), codes[..., channel],
                          fourcc, fps)


def _open_video(path: str) -> Tuple[decord.VideoReader, Tuple[int, int]]:
    """Open a grey video; decode its first frame to check decord's output.

    Returns:
        tuple[decord.VideoReader, tuple[int, int]]: the reader and (H, W).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f'Flow video {path} does not exist.')
    try:
        reader = decord.VideoReader(path)
        first = reader[0].shape if len(reader) else None
    except (RuntimeError, decord.DECORDError) as err:
        raise ValueError(f'{path} can not be decoded: {err}') from err
    if first is None:
        raise ValueError(f'{path} has no frames.')
    if len(first) != 3 or first[2] != 3:
        # decord 0.6.0 mis-decodes some widths (16, 24, 48, 72).
        raise ValueError(f'decord decodes {path} to frames of shape {first}, '
                         'expected (H, W, 3); re-encode it to a width that '
                         'is a multiple of 16 and at least 64.')
    return reader, first[:2]


class ReleaseFlowReader:
    """Reader of the release's flow videos ``video_dir/x.mp4``, ``y.mp4``.

    Only the requested frames are decoded. Pickling reopens the videos, so
    readers can go to data workers.

    Args:
        video_dir (str): Directory holding ``x.mp4`` and ``y.mp4``.
    """

    def __init__(self, video_dir: str) -> None:
        self.video_dir = video_dir
        self._paths = [os.path.join(video_dir, n) for n in FLOW_VIDEO_NAMES]
        opened = [_open_video(path) for path in self._paths]
        self._readers = [reader for reader, _ in opened]
        x_len, y_len = map(len, self._readers)
        x_shape, y_shape = (shape for _, shape in opened)
        if x_len != y_len or x_shape != y_shape:
            raise ValueError(
                f'Flow videos in {video_dir} disagree: {self._paths[0]} has '
                f'{x_len} frames of {x_shape}, {self._paths[1]} has {y_len} '
                f'frames of {y_shape}.')
        self._shape = tuple(x_shape)

    def __reduce__(self) -> Tuple[type, Tuple[str]]:
        return self.__class__, (self.video_dir, )

    @property
    def num_flows(self) -> int:
        """int: Number of flow fields (raw frames - 1)."""
        return len(self._readers[0])

    @property
    def shape(self) -> Tuple[int, int]:
        """tuple[int, int]: (H, W) of the flow fields."""
        return self._shape

    def read(self, indices: Sequence[int]) -> np.ndarray:
        """Decode and de-quantise the flow fields ``indices``.

        Args:
            indices (Sequence[int]): Flow indices in ``[0, num_flows)``;
                field i maps raw frame i to i+1.

        Returns:
            np.ndarray: float32 (len(indices), H, W, 2) flow (dx, dy).
        """
        indices = [int(i) for i in indices]
        bad = [i for i in indices if not 0 <= i < self.num_flows]
        if bad:
            raise IndexError(f'Flow indices {bad} are out of range for '
                             f'{self.video_dir}: it has {self.num_flows} '
                             'flow fields.')
        if not indices:
            return np.zeros((0, ) + self._shape + (2, ), dtype=np.float32)
        codes = [
            self._decode(reader, path, indices)
            for reader, path in zip(self._readers, self._paths)
        ]
        return dequantize_flow(np.stack(codes, axis=-1))

    def _decode(self, reader: decord.VideoReader, path: str,
                indices: Sequence[int]) -> np.ndarray:
        """Decode frames ``indices``: uint8 (len(indices), H, W)."""
        try:
            frames = reader.get_batch(indices).asnumpy()
        except decord.DECORDError as err:
            raise ValueError(f'{path} can not be decoded: {err}') from err
        expected = (len(indices), ) + self._shape + (3, )
        if frames.shape != expected:
            raise ValueError(f'decord decodes {path} to shape {frames.shape}'
                             f', expected {expected}.')
        # Grey frames: the three channels are equal.
        return frames[..., 0]

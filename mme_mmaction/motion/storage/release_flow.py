"""The authors' release flow videos ``x.mp4`` / ``y.mp4`` (8-bit grey)."""
import os
from typing import Sequence, Tuple

import cv2
import decord
import numpy as np

from .atomic import atomic_write

FLOW_BOUND = 20.0
FLOW_VIDEO_NAMES = ('x.mp4', 'y.mp4')


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

    The release's loader forgot this step (docs/method.md §4.1). Code 128 gives
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

    atomic_write(path, write, suffix=os.path.splitext(path)[1])


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

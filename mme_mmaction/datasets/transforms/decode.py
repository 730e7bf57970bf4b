"""Decoding with errors that name the video, and of trajectory frames."""
import io
import os.path as osp
from typing import Dict, Optional, Sequence

import cv2
import decord
import numpy as np
from decord._ffi.base import DECORDError
from mmaction.datasets.transforms import DecordDecode, DecordInit
from mmaction.registry import TRANSFORMS
from mmengine.fileio import FileClient

from .bad_input import BadInputError, SkipsBadInput
from .decord_probe import ProbeError, crash_of


def decode_error(filename: str, error: Exception) -> BadInputError:
    """A decoder's error as bad input that names the video.

    decord reads from an in-memory buffer: its errors name no file, and
    span many lines of C++ context; the first line says what failed.
    """
    lines = str(error).strip().splitlines()
    reason = lines[0][:300] if lines else ''
    return BadInputError(f'{filename}: decord cannot decode the video '
                         f'({type(error).__name__}: {reason}).')


def check_frames(filename: str, frames: Sequence[np.ndarray]) -> None:
    """Decoded frames must be (H, W, 3): decord 0.6.0 returns others for
    some widths (16, 24, 48, 72) instead of failing."""
    shape = np.shape(frames[0]) if len(frames) else ()
    if len(shape) != 3 or shape[-1] != 3:
        raise BadInputError(f'{filename}: decord returned frames of shape '
                            f'{shape}, expected (H, W, 3).')


@TRANSFORMS.register_module()
class CheckedDecordInit(SkipsBadInput, DecordInit):
    """``DecordInit`` whose failure names the video and can be skipped.

    decord reads from an in-memory buffer, so its own errors do not say
    which file could not be opened. Worse, some corrupt files (a truncated
    MJPG AVI) make it crash the process; so each video is first opened by
    a helper process (:mod:`.decord_probe`), once per file and data-loader
    process, and a crash there is a :class:`~.BadInputError` naming the
    video (``docs/faq.md`` gives its cost).

    Args:
        on_bad_input (str): ``'error'`` (default) or ``'skip'``.
        **kwargs: Arguments of ``DecordInit``.
    """

    def __init__(self, on_bad_input: str = 'error', **kwargs) -> None:
        DecordInit.__init__(self, **kwargs)
        self._set_policy(on_bad_input)

    def _get_video_reader(self, filename: str) -> decord.VideoReader:
        """``DecordInit``'s reader, once the probe has survived it."""
        if osp.splitext(filename)[0] == filename:
            filename = filename + '.mp4'  # as DecordInit
        if self.file_client is None:
            self.file_client = FileClient(self.io_backend, **self.kwargs)
        data = self.file_client.get(filename)
        crash = crash_of(filename, data)
        if crash is not None:
            raise BadInputError(
                f'{filename}: decord crashes opening the video ({crash} in '
                'a probe process); the file is truncated or corrupt: '
                "re-encode or remove it, or set on_bad_input='skip'.")
        return decord.VideoReader(io.BytesIO(data),
                                  num_threads=self.num_threads)

    def _transform(self, results: Dict) -> Dict:
        try:
            results = DecordInit.transform(self, results)
        except (BadInputError, ProbeError):
            raise
        except Exception as error:  # decord raises its own error types
            raise BadInputError(
                f'{results["filename"]}: decord cannot open the video '
                f'({type(error).__name__}: {error}).') from error
        if results['total_frames'] == 0:
            raise BadInputError(f'{results["filename"]}: video has no frames.')
        return results


@TRANSFORMS.register_module()
class CheckedDecordDecode(SkipsBadInput, DecordDecode):
    """``DecordDecode`` whose failures name the video and can be skipped.

    A video that opens can still fail to decode (corrupt packets, decord's
    small-width bug); decord then raises an error that names no file, or
    returns frames of the wrong shape. Both become a
    :class:`~.BadInputError` naming the video.

    Args:
        mode (str): ``'accurate'`` (default) or ``'efficient'``, as in
            ``DecordDecode``.
        on_bad_input (str): ``'error'`` (default) or ``'skip'``.
    """

    def __init__(self, mode: str = 'accurate',
                 on_bad_input: str = 'error') -> None:
        DecordDecode.__init__(self, mode=mode)
        self._set_policy(on_bad_input)

    def _transform(self, results: Dict) -> Dict:
        filename = results.get('filename', '<unknown video>')
        try:
            results = DecordDecode.transform(self, results)
        except DECORDError as error:
            raise decode_error(filename, error) from error
        check_frames(filename, results['imgs'])
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(mode={self.mode!r}, '
                f'on_bad_input={self.on_bad_input!r})')


@TRANSFORMS.register_module()
class DecordDecodeWithTrajectoryFrames(SkipsBadInput, DecordDecode):
    """Decode the sampled frames and every raw frame the trajectories need.

    Drop-in replacement for ``DecordDecode`` in pre-training pipelines. For
    each tubelet whose first sampled raw frame is ``s``, trajectories run
    through raw frames ``s, s+1, ..., s+traj_len`` (docs/method.md §4.2).
    The union of those and the sampled frames is decoded once, in one
    ``get_batch``.
    It is the one place a pipeline sets ``traj_len`` (by default the
    clip's ``frame_interval``, so that a trajectory ends at its tubelet's
    second sampled frame) and ``tubelet_size``: both travel with the sample
    to ``TrajectoryTarget`` and its source.

    Required keys: ``video_reader``, ``frame_inds``, ``clip_len``,
    ``num_clips``, ``filename``; ``frame_interval`` without ``traj_len``.
    Added keys: ``imgs``, ``original_shape``, ``img_shape``, ``traj_len``,
    ``tubelet_size``, ``traj_frames`` (K, H, W) uint8 grey raw frames,
    ``traj_ends`` (T', 2) int indices into ``traj_frames`` of every
    trajectory's first and last raw frame; with ``raw_frames`` also
    ``traj_frame_map`` (T', traj_len + 1) indices of all its raw frames.

    Args:
        traj_len (int, optional): Raw-frame steps per trajectory. Defaults
            to None: the sample's ``frame_interval`` (``SampleFrames``').
        tubelet_size (int): Sampled frames per tubelet. Defaults to 2.
        raw_frames (bool): Decode the raw frames the online source tracks
            through. False for stored trajectories, which need only the
            sampled frames and each trajectory's last frame. Defaults to
            True.
        on_bad_input (str): ``'error'`` (default) raises when the video is
            shorter than the trajectories need or cannot be decoded;
            ``'skip'`` logs, counts and skips the sample.
    """

    def __init__(self, traj_len: Optional[int] = None,
                 tubelet_size: int = 2,
                 raw_frames: bool = True,
                 on_bad_input: str = 'error') -> None:
        DecordDecode.__init__(self, mode='accurate')
        self.traj_len = traj_len
        self.tubelet_size = tubelet_size
        self.raw_frames = raw_frames
        self._set_policy(on_bad_input)

    def _transform(self, results: Dict) -> Dict:
        filename = results.get('filename', '<unknown video>')
        frame_inds = np.asarray(results['frame_inds']).reshape(-1)
        if results.get('num_clips', 1) != 1:
            raise ValueError(
                f'{filename}: trajectory targets need one clip per sample, '
                f'got num_clips={results["num_clips"]}.')
        if len(frame_inds) % self.tubelet_size:
            raise ValueError(f'{filename}: clip of {len(frame_inds)} frames '
                             f'is not a multiple of tubelet_size='
                             f'{self.tubelet_size}.')
        if self.traj_len is None and 'frame_interval' not in results:
            raise KeyError(
                f'{filename}: DecordDecodeWithTrajectoryFrames takes traj_len '
                "from the sample's frame_interval (SampleFrames sets it), "
                'which this pipeline lacks: set traj_len.')
        traj_len = self.traj_len or results['frame_interval']
        starts = frame_inds[::self.tubelet_size]
        traj_inds = starts[:, None] + np.arange(traj_len + 1)
        reader = results['video_reader']
        # A TimeRange moves start_index: the clip's frames end at
        # start_index + total_frames.
        first = results.get('start_index', 0)
        end = first + results.get('total_frames', len(reader))
        if traj_inds.max() >= end:
            in_range = (f' (frames {first}-{end - 1} in its TimeRange)'
                        if (first, end) != (0, len(reader)) else '')
            raise BadInputError(
                f'{filename}: video has {len(reader)} frames{in_range} but '
                f'the trajectories need frame {traj_inds.max()} '
                '(tubelets start at '
                f'{starts.tolist()}, traj_len={traj_len}); lower '
                'frame_interval or traj_len, or drop short videos.')

        # Every source's trajectories are checked on their first and last
        # raw frames (TrajectoryTarget); the last is a sampled frame when
        # traj_len is the stride, so checking stored trajectories costs no
        # extra decoding then.
        raw = traj_inds if self.raw_frames else traj_inds[:, [0, -1]]
        wanted, inverse = np.unique(
            np.concatenate([frame_inds, raw.ravel()]), return_inverse=True)
        try:
            frames = reader.get_batch(wanted).asnumpy()
        except DECORDError as error:
            raise decode_error(filename, error) from error
        check_frames(filename, frames)
        results['video_reader'] = None

        results['imgs'] = list(frames[inverse[:len(frame_inds)]])
        in_traj, traj_map = np.unique(
            inverse[len(frame_inds):], return_inverse=True)
        results['traj_frames'] = np.stack([
            cv2.cvtColor(frames[i], cv2.COLOR_RGB2GRAY) for i in in_traj
        ])
        traj_map = traj_map.reshape(raw.shape)
        results['traj_ends'] = traj_map[:, [0, -1]]
        if self.raw_frames:
            results['traj_frame_map'] = traj_map
        results['original_shape'] = frames.shape[1:3]
        results['img_shape'] = frames.shape[1:3]
        results['traj_len'] = traj_len
        results['tubelet_size'] = self.tubelet_size
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(traj_len={self.traj_len}, '
                f'tubelet_size={self.tubelet_size}, '
                f'raw_frames={self.raw_frames}, '
                f'on_bad_input={self.on_bad_input!r})')

"""Videos that cannot be opened or decoded, or that crash decord: errors
that name the file, or a counted skip, from the transforms our configs
use."""
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from decord._ffi.base import DECORDError
from mmaction.datasets.transforms import DecordDecode, DecordInit
from mmengine.dataset import Compose, pseudo_collate
from torch.utils.data import DataLoader

from mme_mmaction.datasets.transforms import BadInputError, decord_probe
from mme_mmaction.datasets.transforms.bad_input import SkipsBadInput
from synthetic_video import moving_square, write_video

DECODERS = {
    'CheckedDecordDecode': dict(type='CheckedDecordDecode'),
    'DecordDecodeWithTrajectoryFrames': dict(
        type='DecordDecodeWithTrajectoryFrames', traj_len=2),
}


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    """A good video, one with flipped bytes in its frame data, and one 48
    px wide (decord 0.6.0's width bug)."""
    root = tmp_path_factory.mktemp('decode')
    good = write_video(root / 'good.mp4', moving_square(num_frames=12))
    data = bytearray(good.read_bytes())
    start, end = data.find(b'mdat') + 8, data.find(b'moov')
    for i in np.random.default_rng(1).integers(start, end, 500):
        data[i] ^= 0xFF
    (root / 'flipped.mp4').write_bytes(bytes(data))
    narrow = write_video(root / 'narrow.mp4',
                         moving_square(num_frames=12, size=(64, 48),
                                       square=16, start=(8., 8.)))
    return dict(good=str(good), flipped=str(root / 'flipped.mp4'),
                narrow=str(narrow))


def _decode(video, decoder, **policy):
    run = Compose([dict(type='CheckedDecordInit'), dict(decoder, **policy)])
    return run(dict(filename=video, frame_inds=np.array([0, 2, 4, 6]),
                    clip_len=4, num_clips=1, modality='RGB'))


@pytest.mark.parametrize('name', ['flipped', 'narrow'])
def test_stock_decord_decode_fails_without_naming_the_video(videos, name):
    """Why the checked decoders exist."""
    run = Compose([dict(type='CheckedDecordInit'), dict(type='DecordDecode')])
    with pytest.raises(DECORDError) as error:
        run(dict(filename=videos[name], frame_inds=np.array([0, 2, 4, 6]),
                 clip_len=4, num_clips=1, modality='RGB'))
    assert name not in str(error.value)


@pytest.mark.parametrize('decoder', list(DECODERS))
@pytest.mark.parametrize('name', ['flipped', 'narrow'])
def test_decode_failures_name_the_video(videos, decoder, name):
    with pytest.raises(BadInputError,
                       match=f'{name}.mp4: decord cannot decode the video '
                       r'\(DECORDError: '):
        _decode(videos[name], DECODERS[decoder])


@pytest.mark.parametrize('decoder', list(DECODERS))
def test_decode_failures_can_be_skipped_and_are_counted(videos, decoder):
    before = sum(SkipsBadInput.skipped.values())
    for name in ('flipped', 'narrow'):
        assert _decode(videos[name], DECODERS[decoder],
                       on_bad_input='skip') is None
    assert sum(SkipsBadInput.skipped.values()) == before + 2


def test_checked_decode_equals_stock_decode_on_a_good_video(videos):
    ours = _decode(videos['good'], DECODERS['CheckedDecordDecode'])
    stock = Compose([dict(type='CheckedDecordInit'), DecordDecode()])(
        dict(filename=videos['good'], frame_inds=np.array([0, 2, 4, 6]),
             clip_len=4, num_clips=1, modality='RGB'))
    np.testing.assert_array_equal(np.stack(ours['imgs']),
                                  np.stack(stock['imgs']))
    assert ours['img_shape'] == stock['img_shape'] == (96, 128)


def test_frames_of_a_wrong_shape_are_bad_input(videos, monkeypatch):
    """decord 0.6.0 can also return (H, W, 4) frames instead of failing."""

    def four_channels(self, container, frame_inds):
        return [np.zeros((8, 8, 4), np.uint8) for _ in frame_inds]

    monkeypatch.setattr(DecordDecode, '_decord_load_frames', four_channels)
    with pytest.raises(BadInputError, match=r'good.mp4.*\(8, 8, 4\)'):
        _decode(videos['good'], DECODERS['CheckedDecordDecode'])


def _repeat_aug(videos, tmp_path, **decode):
    from mmaction.registry import DATASETS
    (tmp_path / 'list.txt').write_text('flipped.mp4 0\ngood.mp4 1\n')
    return DATASETS.build(dict(
        type='CheckedRepeatAugDataset', num_repeats=2,
        ann_file=str(tmp_path / 'list.txt'),
        data_prefix=dict(video=str(Path(videos['good']).parent)),
        pipeline=[dict(type='CheckedDecordInit'),
                  dict(type='SampleFrames', clip_len=4, frame_interval=2,
                       num_clips=1),
                  dict(type='CheckedDecordDecode', **decode),
                  dict(type='Resize', scale=(32, 32), keep_ratio=False),
                  dict(type='FormatShape', input_format='NCTHW'),
                  dict(type='PackActionInputs')]))


def test_repeated_augmentation_names_the_video_it_cannot_decode(
        videos, tmp_path):
    dataset = _repeat_aug(videos, tmp_path)
    assert len(dataset[1]) == 2  # two augmented copies of the good video
    with pytest.raises(BadInputError, match='flipped.mp4: decord cannot'):
        dataset[0]
    with pytest.raises(ValueError, match='cannot skip samples'):
        _repeat_aug(videos, tmp_path, on_bad_input='skip')


# ---------------------------------------------- videos that crash decord


def write_mjpg_avi(path, frames):
    """RGB frames as a Motion-JPEG ``.avi``."""
    height, width = frames.shape[1:3]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), 25,
                             (width, height))
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


@pytest.fixture(scope='module')
def avis(tmp_path_factory):
    """A 12-frame MJPG AVI and the same cut to 3/4 of its bytes, which has
    no index and ends inside a frame."""
    root = tmp_path_factory.mktemp('avi')
    good = write_mjpg_avi(root / 'good.avi', moving_square(num_frames=12))
    data = good.read_bytes()
    (root / 'truncated.avi').write_bytes(data[:len(data) * 3 // 4])
    return dict(good=str(good), truncated=str(root / 'truncated.avi'))


def test_stock_decord_init_kills_the_process_on_a_truncated_avi(avis):
    """Why CheckedDecordInit probes: MMAction2's DecordInit opens videos
    from memory, and there decord segfaults on this file, beyond the reach
    of any try/except (and of on_bad_input='skip')."""
    assert DecordInit().transform(dict(filename=avis['good']))[
        'total_frames'] == 12
    done = subprocess.run(
        [sys.executable, '-c',
         'from mmaction.datasets.transforms import DecordInit; '
         f'DecordInit().transform(dict(filename={avis["truncated"]!r}))'],
        capture_output=True)
    assert done.returncode == -signal.SIGSEGV


def test_a_video_that_crashes_decord_is_bad_input_naming_it(avis):
    with pytest.raises(BadInputError, match=(
            r'truncated.avi: decord crashes opening the video \(SIGSEGV in '
            r"a probe process\).*on_bad_input='skip'")):
        Compose([dict(type='CheckedDecordInit')])(
            dict(filename=avis['truncated']))
    before = sum(SkipsBadInput.skipped.values())
    assert Compose([dict(type='CheckedDecordInit', on_bad_input='skip')])(
        dict(filename=avis['truncated'])) is None
    assert sum(SkipsBadInput.skipped.values()) == before + 1
    # This process lives on, and decodes the intact file.
    decoded = _decode(avis['good'], DECODERS['CheckedDecordDecode'])
    assert np.stack(decoded['imgs']).shape == (4, 96, 128, 3)


def test_the_probes_verdict_is_kept_until_the_file_changes(avis, tmp_path):
    video = tmp_path / 'video.avi'
    shutil.copy(avis['truncated'], video)
    data = video.read_bytes()
    assert decord_probe.crash_of(str(video), data) == 'SIGSEGV'
    assert decord_probe._helper is None  # the helper died of the video
    assert decord_probe.crash_of(str(video), data) == 'SIGSEGV'
    assert decord_probe._helper is None  # remembered, not opened again
    shutil.copy(avis['good'], video)  # repaired: another size and time
    init = Compose([dict(type='CheckedDecordInit')])
    assert init(dict(filename=str(video)))['total_frames'] == 12


def test_a_data_loader_skips_the_video_that_crashes_decord(avis, tmp_path):
    """The real failure: without the probe the worker dies of SIGSEGV and
    the loader raises, whatever on_bad_input says."""
    from mmaction.registry import DATASETS
    (tmp_path / 'list.txt').write_text('truncated.avi 0\ngood.avi 1\n')
    dataset = DATASETS.build(dict(
        type='VideoDataset', ann_file=str(tmp_path / 'list.txt'),
        data_prefix=dict(video=str(Path(avis['good']).parent)),
        pipeline=[dict(type='CheckedDecordInit', on_bad_input='skip'),
                  dict(type='SampleFrames', clip_len=4, frame_interval=2,
                       num_clips=1),
                  dict(type='CheckedDecordDecode'),
                  dict(type='Resize', scale=(32, 32), keep_ratio=False),
                  dict(type='FormatShape', input_format='NCTHW'),
                  dict(type='PackActionInputs')]))
    loader = DataLoader(dataset, batch_size=2, sampler=[0, 1],
                        num_workers=1, collate_fn=pseudo_collate)
    batch, = list(loader)
    # The truncated video was skipped for another draw: the good one.
    assert [s.gt_label.item() for s in batch['data_samples']] == [1, 1]


def test_a_failing_probe_process_is_not_a_bad_video(avis, tmp_path,
                                                    monkeypatch):
    """Were it one, on_bad_input='skip' would skip every video."""
    monkeypatch.setattr(decord_probe, '_helper', None)
    monkeypatch.setattr(decord_probe, '_BOOT', 'import sys; sys.exit(3)')
    video = shutil.copy(avis['good'], tmp_path / 'unprobed.avi')
    with pytest.raises(decord_probe.ProbeError, match='exited with status 3'):
        Compose([dict(type='CheckedDecordInit', on_bad_input='skip')])(
            dict(filename=str(video)))

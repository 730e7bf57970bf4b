import gzip
import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

from mme_mmaction.motion import (ReleaseFlowReader, TrajectoryReader,
                                 dequantize_flow, quantize_flow, read_manifest,
                                 read_release_trajectories, write_manifest,
                                 write_release_flow,
                                 write_release_trajectories,
                                 write_trajectories)

QUANT_STEP = 40 / 255


def random_trajectories(t=5, steps=4, hg=3, wg=4, seed=0):
    rng = np.random.default_rng(seed)
    traj = rng.uniform(-20, 20, (t, steps, 2, hg, wg)).astype(np.float32)
    valid = rng.random((t, hg, wg)) > 0.3
    return traj, valid


# ------------------------------------------------------------ ours (.npy)


def test_npy_round_trip_restores_values_and_validity(tmp_path):
    traj, valid = random_trajectories()
    path = str(tmp_path / 'sub' / 'video.npy')
    write_trajectories(path, traj, valid)
    reader = TrajectoryReader(path)
    assert (reader.num_starts, reader.traj_len, reader.grid) == (5, 4, (3, 4))
    for start in range(5):
        got, got_valid = reader.read(start)
        assert got.dtype == np.float32 and got.shape == (4, 2, 3, 4)
        np.testing.assert_array_equal(got_valid, valid[start])
        expected = traj[start] * valid[start]
        # float16 keeps 11 significant bits: 2^-11 relative error at most.
        np.testing.assert_allclose(got, expected, rtol=2**-11, atol=0)
        assert (got[:, :, ~valid[start]] == 0).all()


def test_npy_stores_invalid_seeds_as_nan_in_float16(tmp_path):
    traj, valid = random_trajectories()
    path = str(tmp_path / 'video.npy')
    write_trajectories(path, traj, valid)
    stored = np.load(path)
    assert stored.dtype == np.float16
    assert np.isnan(stored.transpose(0, 3, 4, 1, 2)[~valid]).all()
    assert not np.isnan(stored.transpose(0, 3, 4, 1, 2)[valid]).any()


def test_npy_reader_memory_maps_and_pickles_by_path(tmp_path):
    traj, valid = random_trajectories(t=40, hg=8, wg=8)
    path = str(tmp_path / 'video.npy')
    write_trajectories(path, traj, valid)
    reader = TrajectoryReader(path)
    assert isinstance(reader._array, np.memmap)
    clone = pickle.loads(pickle.dumps(reader))
    assert len(pickle.dumps(reader)) < 500  # not the 80 kB of data
    np.testing.assert_array_equal(clone.read(7)[0], reader.read(7)[0])


@pytest.mark.parametrize('value,axis', [(np.inf, 0), (-np.inf, 1),
                                        (60000., 0), (41., 0), (33., 1)])
def test_npy_with_impossible_values_is_corrupt(tmp_path, value, axis):
    """A 3 x 4 grid of 8 px cells: a frame under 40 x 32 px, so no step
    can exceed (40, 32) px; inf and such values would poison the loss."""
    traj, valid = random_trajectories()
    valid[2] = True
    traj[2, 1, axis, 1, 2] = value
    path = str(tmp_path / 'video.npy')
    np.save(path, np.where(valid[:, None, None], traj,
                           np.nan).astype(np.float16))
    reader = TrajectoryReader(path)
    reader.read(1)  # other start frames stay readable
    with pytest.raises(ValueError,
                       match='video.npy is corrupt: start frame 2'):
        reader.read(2)


def save_raw(path, traj, valid):
    """Store as the writer does, without its checks."""
    np.save(path, np.where(valid[:, None, None], traj,
                           np.nan).astype(np.float16))


@pytest.mark.parametrize('hole', [
    (2, slice(None), 1, 1, 2),  # dy of every step
    (2, 0, 0, 1, 2),  # one value
    (2, slice(1, None), slice(None), 1, 2),  # all but the first step
])
def test_npy_seed_nan_in_some_of_its_values_is_corrupt(tmp_path, hole):
    """An invalid seed is NaN in all of its L x 2 values; NaN in some of
    them is no invalid seed but a damaged file, as inf is."""
    traj, valid = random_trajectories()
    valid[2] = True
    traj[hole] = np.nan
    path = str(tmp_path / 'video.npy')
    save_raw(path, traj, valid)
    reader = TrajectoryReader(path)
    reader.read(1)  # other start frames stay readable
    with pytest.raises(ValueError, match=(
            r'video.npy is corrupt: start frame 2 holds 1 seeds with NaN in '
            r'some but not all of their 4 x 2 values \(the first at grid '
            r'row 1, column 2\)')):
        reader.read(2)


def test_npy_all_nan_is_corrupt_but_one_start_frame_without_seeds_is_not(
        tmp_path):
    traj, valid = random_trajectories()
    path = str(tmp_path / 'video.npy')
    save_raw(path, traj, np.zeros_like(valid))
    with pytest.raises(ValueError, match=(
            r'video.npy is corrupt: every value is NaN \(read at start '
            r'frame 3\)')):
        TrajectoryReader(path).read(3)
    with pytest.raises(ValueError, match='would hold nothing but NaN'):
        write_trajectories(path, traj, np.zeros_like(valid))
    # Every point of start frame 3 left the frame: genuine, not corrupt.
    valid[3] = False
    write_trajectories(path, traj, valid)
    steps, ok = TrajectoryReader(path).read(3)
    assert not ok.any() and not steps.any()


def test_npy_steps_up_to_the_frame_size_are_plausible(tmp_path):
    traj, valid = random_trajectories()
    traj[0, 0, 0, 0, 0], traj[0, 0, 1, 0, 0] = -40., 32.
    path = str(tmp_path / 'video.npy')
    write_trajectories(path, traj, np.ones_like(valid))
    assert TrajectoryReader(path).read(0)[0][0, :, 0, 0].tolist() == [-40, 32]


@pytest.mark.parametrize('start', [-1, 5])
def test_npy_start_out_of_range_raises_index_error(tmp_path, start):
    path = str(tmp_path / 'video.npy')
    write_trajectories(path, *random_trajectories())
    with pytest.raises(IndexError, match='out of range.*5 start frames'):
        TrajectoryReader(path).read(start)


def test_atomic_write_leaves_only_the_target(tmp_path):
    path = tmp_path / 'video.npy'
    write_trajectories(str(path), *random_trajectories(seed=1))
    write_trajectories(str(path), *random_trajectories(seed=2))
    assert os.listdir(tmp_path) == ['video.npy']
    np.testing.assert_array_equal(
        TrajectoryReader(str(path)).read(0)[1],
        random_trajectories(seed=2)[1][0])


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / 'video.npy'
    write_trajectories(str(path), *random_trajectories(seed=1))
    old = path.read_bytes()

    def crash(fd):
        raise OSError('disk on fire')

    monkeypatch.setattr(os, 'fsync', crash)
    with pytest.raises(OSError, match='disk on fire'):
        write_trajectories(str(path), *random_trajectories(seed=2))
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ['video.npy']


@pytest.mark.parametrize('keep', [0.5, 20])
def test_truncated_npy_raises_value_error_naming_the_file(tmp_path, keep):
    path = tmp_path / 'video.npy'
    write_trajectories(str(path), *random_trajectories())
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep) if keep < 1 else keep])
    with pytest.raises(ValueError, match='video.npy'):
        TrajectoryReader(str(path))


def test_npy_of_wrong_shape_or_dtype_is_rejected(tmp_path):
    np.save(tmp_path / 'four_dims.npy', np.zeros((2, 4, 2, 3), np.float16))
    np.save(tmp_path / 'ints.npy', np.zeros((2, 4, 2, 3, 3), np.int8))
    with pytest.raises(ValueError, match='four_dims.npy.*Hg, Wg'):
        TrajectoryReader(str(tmp_path / 'four_dims.npy'))
    with pytest.raises(ValueError, match='ints.npy.*int8'):
        TrajectoryReader(str(tmp_path / 'ints.npy'))


def test_writer_rejects_mismatched_validity(tmp_path):
    traj, valid = random_trajectories()
    with pytest.raises(ValueError, match='Validity'):
        write_trajectories(str(tmp_path / 'v.npy'), traj, valid[:, :2])


def test_manifest_round_trip(tmp_path):
    flow = {'method': 'dis', 'preset': 'medium'}
    write_manifest(str(tmp_path), traj_len=4, cell_size=8, flow=flow)
    assert read_manifest(str(tmp_path)) == {
        'format': 'mme_mmaction.trajectories',
        'version': 1,
        'traj_len': 4,
        'cell_size': 8,
        'flow': flow,
        'dtype': 'float16',
    }


@pytest.mark.parametrize('content', [
    '{"format": "something.else", "version": 1}',
    '{"format": "mme_mmaction.trajectories", "version": 2}',
    '[1, 2]',
    '{not json',
])
def test_bad_manifest_raises_value_error_naming_the_file(tmp_path, content):
    (tmp_path / 'manifest.json').write_text(content)
    with pytest.raises(ValueError, match='manifest.json'):
        read_manifest(str(tmp_path))


# ------------------------------------------------- release trajectories (.gz)


def write_release_by_hand(path, feat, kind):
    with gzip.open(path, 'wb') as f:
        pickle.dump({'traj_feat': feat, 'traj_type': kind}, f)


def test_release_file_built_by_hand_reads_in_our_layout(tmp_path):
    steps, t, hg, wg = 2, 3, 2, 4
    feat = (np.arange(2 * steps * t * hg * wg) % 41 - 20).astype(np.int8)
    feat = feat.reshape(2 * steps, t, hg, wg)
    kind = np.ones((t, hg, wg), np.uint8)
    kind[1, 0, 2] = 0
    kind[2, 1, 3] = 2  # any non-zero value counts as valid
    path = tmp_path / 'video_2.gz'
    write_release_by_hand(path, feat, kind)

    traj, valid = read_release_trajectories(str(path))
    assert traj.dtype == np.float32 and traj.shape == (t, steps, 2, hg, wg)
    np.testing.assert_array_equal(valid, kind != 0)
    for s in range(t):
        for i in range(hg):
            for k in range(wg):
                for j in range(steps):
                    dx, dy = feat[j, s, i, k], feat[steps + j, s, i, k]
                    if not valid[s, i, k]:
                        dx = dy = 0
                    assert traj[s, j, 0, i, k] == dx
                    assert traj[s, j, 1, i, k] == dy


def test_release_writer_truncates_clamps_and_round_trips(tmp_path):
    values = np.array([2.7, -2.7, 25, -25, 0.9, -0.9, 19.99, -19.5])
    traj = values.reshape(1, 2, 2, 1, 2)
    valid = np.array([[[True, True]]])
    path = tmp_path / 'video_2.gz'
    write_release_trajectories(str(path), traj, valid)

    with gzip.open(path) as f:
        raw = pickle.load(f)
    assert raw['traj_feat'].dtype == np.int8
    assert raw['traj_feat'].shape == (4, 1, 1, 2)
    assert raw['traj_type'].dtype == np.uint8
    # Channel order [dx_0, dx_1, dy_0, dy_1].
    np.testing.assert_array_equal(raw['traj_feat'][:, 0, 0, 0], [2, 0, 20, 19])

    got, got_valid = read_release_trajectories(str(path))
    expected = np.array([2, -2, 20, -20, 0, 0, 19, -19]).reshape(traj.shape)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(got_valid, valid)


def test_release_writer_marks_invalid_seeds(tmp_path):
    traj, valid = random_trajectories()
    traj[~np.broadcast_to(valid[:, None, None], traj.shape)] = np.nan
    path = str(tmp_path / 'video_4.gz')
    write_release_trajectories(path, traj, valid)
    got, got_valid = read_release_trajectories(path)
    np.testing.assert_array_equal(got_valid, valid)
    np.testing.assert_array_equal(got, np.trunc(np.nan_to_num(traj)))


def gz_pickle(obj):
    return gzip.compress(pickle.dumps(obj))


def bad_release_files():
    """Case name -> (file bytes, the problem the error must name)."""
    feat = np.zeros((4, 3, 2, 2), np.int8)
    kind = np.ones((3, 2, 2), np.uint8)
    good = dict(traj_feat=feat, traj_type=kind)
    return {
        'not gzip': (b'plain bytes', 'gzip'),
        'truncated gzip': (gz_pickle(good)[:40], 'gzip'),
        'not a pickle': (gzip.compress(b'\x00garbage'), 'pickle'),
        'not a dict': (gz_pickle([feat, kind]), 'dict'),
        'missing key': (gz_pickle(dict(traj_feat=feat)), 'traj_type'),
        'odd first dim': (gz_pickle(dict(good, traj_feat=feat[:3])), '2L'),
        'not numeric':
        (gz_pickle(dict(good, traj_type=kind.astype(str))), 'numeric'),
        'shapes disagree':
        (gz_pickle(dict(good, traj_type=kind[:2])), 'does not match'),
    }


@pytest.mark.parametrize('case', sorted(bad_release_files()))
def test_bad_release_file_raises_value_error_naming_it(tmp_path, case):
    data, problem = bad_release_files()[case]
    path = tmp_path / 'video_2.gz'
    path.write_bytes(data)
    with pytest.raises(ValueError, match=f'video_2.gz.*{problem}'):
        read_release_trajectories(str(path))


class _WritesAFile:
    """Pickles to a call of ``pathlib.Path.touch``: code run on load."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (Path.touch, (Path(self.target), ))


@pytest.mark.parametrize('protocol', [2, 4, 5])
def test_crafted_release_file_is_refused_without_running_its_code(
        tmp_path, protocol):
    feat = np.zeros((4, 3, 2, 2), np.int8)
    marker = tmp_path / 'ran'
    payload = dict(traj_feat=feat, traj_type=np.ones((3, 2, 2), np.uint8),
                   extra=_WritesAFile(marker))
    path = tmp_path / 'video_2.gz'
    path.write_bytes(gzip.compress(pickle.dumps(payload, protocol=protocol)))
    # The unrestricted unpickler would run it:
    pickle.loads(gzip.decompress(path.read_bytes()))
    assert marker.exists()
    marker.unlink()
    with pytest.raises(ValueError,
                       match=r'video_2.gz is not a release trajectory file: '
                       r'refusing to load'):
        read_release_trajectories(str(path))
    assert not marker.exists()


@pytest.mark.parametrize('protocol', [2, 3, 4, 5])
def test_release_files_of_every_pickle_protocol_read(tmp_path, protocol):
    feat = np.arange(4 * 3 * 2 * 2).reshape(4, 3, 2, 2).astype(np.int8)
    kind = np.ones((3, 2, 2), np.uint8)
    path = tmp_path / 'video_2.gz'
    path.write_bytes(gzip.compress(pickle.dumps(
        dict(traj_feat=feat, traj_type=kind), protocol=protocol)))
    traj, valid = read_release_trajectories(str(path))
    assert valid.all() and traj[0, 1, 1, 0, 1] == feat[3, 0, 0, 1]


def test_missing_release_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothing_4.gz'):
        read_release_trajectories(str(tmp_path / 'nothing_4.gz'))


# ---------------------------------------------------- release flow (x/y.mp4)


def test_quantisation_matches_the_release_formula():
    assert quantize_flow(np.float32(0)) == 128  # 127.5, half to even
    np.testing.assert_array_equal(quantize_flow(np.array([-30, -20, 20, 30.])),
                                  [0, 0, 255, 255])
    assert dequantize_flow(np.uint8(128)) == pytest.approx(128 * 40 / 255 - 20,
                                                           abs=1e-6)
    assert dequantize_flow(np.uint8(128)) == pytest.approx(0.0784, abs=1e-4)
    v = np.random.default_rng(0).uniform(-30, 30, 10000)
    err = np.abs(dequantize_flow(quantize_flow(v)) - np.clip(v, -20, 20))
    assert err.max() <= QUANT_STEP / 2 + 1e-6


def smooth_flows(num=6, height=96, width=128):
    """Smooth (num, H, W, 2) flow fields within +-12 px."""
    ys, xs = np.mgrid[0:height, 0:width] / np.float32(width)
    phases = np.arange(num)[:, None, None] * 0.7
    dx = 8 * np.sin(2 * np.pi * xs + phases) + 4 * ys
    dy = 6 * np.cos(2 * np.pi * ys + phases) - 3 * xs
    return np.stack([dx, dy], -1).astype(np.float32)


def test_lossless_flow_videos_round_trip_exactly(tmp_path):
    flows = smooth_flows()
    write_release_flow(str(tmp_path), flows, fourcc='png ')
    reader = ReleaseFlowReader(str(tmp_path))
    assert (reader.num_flows, reader.shape) == (6, (96, 128))
    got = reader.read(range(6))
    assert got.dtype == np.float32 and got.shape == (6, 96, 128, 2)
    np.testing.assert_array_equal(got, dequantize_flow(quantize_flow(flows)))


def test_mp4v_flow_videos_round_trip_within_codec_error(tmp_path):
    flows = smooth_flows()
    write_release_flow(str(tmp_path), flows)
    got = ReleaseFlowReader(str(tmp_path)).read(range(6))
    err = np.abs(got - flows)
    # Measured: max 0.63 px, mean 0.13 px, against 0.08 px max from
    # quantisation alone.
    assert err.max() < 0.8
    assert err.mean() < 0.2


def test_reading_selected_indices_returns_those_frames(tmp_path):
    flows = smooth_flows()
    write_release_flow(str(tmp_path), flows, fourcc='png ')
    reader = ReleaseFlowReader(str(tmp_path))
    everything = reader.read(range(6))
    np.testing.assert_array_equal(reader.read([4, 1, 1]), everything[[4, 1,
                                                                      1]])
    assert reader.read([]).shape == (0, 96, 128, 2)
    clone = pickle.loads(pickle.dumps(reader))
    np.testing.assert_array_equal(clone.read([3]), everything[[3]])
    with pytest.raises(IndexError, match='6 flow fields'):
        reader.read([6])


def test_mismatched_flow_videos_are_rejected(tmp_path):
    flows = smooth_flows()
    write_release_flow(str(tmp_path / 'a'), flows)
    write_release_flow(str(tmp_path / 'b'), flows[:4])
    shutil.copy(tmp_path / 'b' / 'y.mp4', tmp_path / 'a' / 'y.mp4')
    with pytest.raises(ValueError, match='disagree.*6 frames.*4 frames'):
        ReleaseFlowReader(str(tmp_path / 'a'))


def test_missing_or_undecodable_flow_video_is_reported(tmp_path):
    write_release_flow(str(tmp_path), smooth_flows(num=2))
    os.remove(tmp_path / 'y.mp4')
    with pytest.raises(FileNotFoundError, match='y.mp4'):
        ReleaseFlowReader(str(tmp_path))
    (tmp_path / 'y.mp4').write_bytes(b'not a video')
    with pytest.raises(ValueError, match='y.mp4.*can not be decoded'):
        ReleaseFlowReader(str(tmp_path))


def test_widths_decord_mis_decodes_are_rejected(tmp_path):
    write_release_flow(str(tmp_path), smooth_flows(num=2, height=32, width=48))
    with pytest.raises(ValueError, match='x.mp4.*expected'):
        ReleaseFlowReader(str(tmp_path))


def test_a_name_near_the_length_limit_is_written(tmp_path):
    path = tmp_path / ('v' * 250 + '.npy')
    write_trajectories(str(path), *random_trajectories())
    assert os.listdir(tmp_path) == [path.name]

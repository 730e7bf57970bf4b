"""Offline trajectory sources agree with online flow; bad input is loud."""
import numpy as np
import pytest
from mmengine.dataset import Compose

from mme_mmaction.datasets.transforms import BadInputError
from mme_mmaction.motion.storage import (write_release_flow,
                                         write_release_trajectories,
                                         write_trajectories)
from synthetic_video import moving_square, store_trajectories, write_video


@pytest.fixture(scope='module')
def square(tmp_path_factory):
    root = tmp_path_factory.mktemp('offline')
    frames = moving_square(num_frames=20)
    video = write_video(root / 'square.mp4', frames)
    traj, valid = store_trajectories(video, root / 'ours' / 'square.npy',
                                     num_frames=20)
    return root, str(video), traj, valid


def pipeline(video, geometry, source=None, decode='online', **target):
    decoder = dict(type='DecordDecodeWithTrajectoryFrames', traj_len=4,
                   raw_frames=decode == 'online')
    run = Compose([
        dict(type='CheckedDecordInit'), decoder, *geometry,
        dict(type='TrajectoryTarget', source=source, **target)
    ])
    return run(dict(filename=video, frame_inds=np.array([0, 4, 8, 12]),
                    clip_len=4, num_clips=1, modality='RGB', start_index=0))


CROP = [dict(type='CenterCrop', crop_size=64),
        dict(type='Resize', scale=(32, 32), keep_ratio=False)]


def test_stored_trajectories_equal_online_without_geometry(square):
    root, video, _, _ = square
    online = pipeline(video, [])
    offline = pipeline(video, [], dict(type='stored', root=str(root / 'ours')),
                       decode='plain')
    # Same flow on the same grid; only float16 storage differs.
    np.testing.assert_array_equal(online['traj_valid'],
                                  offline['traj_valid'])
    np.testing.assert_allclose(offline['trajectories'],
                               online['trajectories'], atol=2e-3)


@pytest.mark.parametrize('geometry', [CROP, CROP + [dict(type='Flip',
                                                         flip_ratio=1.)]])
def test_stored_trajectories_follow_crop_resize_and_flip(square, geometry):
    root, video, _, _ = square
    online = pipeline(video, geometry)
    offline = pipeline(video, geometry,
                       dict(type='stored', root=str(root / 'ours')),
                       decode='plain')
    both = online['traj_valid'] & offline['traj_valid']
    assert both.mean() > 0.8
    diff = np.abs(offline['trajectories'] - online['trajectories'])
    diff = diff.transpose(0, 3, 4, 1, 2)[both]
    # Seeds between grid points mix neighbours: stated tolerance 0.1 px on
    # average, 1 px at worst (at the square's edges), in final pixels.
    assert diff.mean() < 0.1 and diff.max() < 1.0


def test_release_trajectory_files_read_back_planted_values(tmp_path, square):
    _, video, traj, valid = square
    planted = np.round(traj)  # whole pixels, as the release stores them
    write_release_trajectories(str(tmp_path / 'square_4.gz'), planted, valid)
    out = pipeline(video, [], dict(type='stored', root=str(tmp_path),
                                   format='release'), decode='plain')
    starts = [0, 8]
    expected = planted[starts] * valid[starts][:, None, None]
    np.testing.assert_array_equal(out['trajectories'], expected)
    np.testing.assert_array_equal(out['traj_valid'], valid[starts])


def test_release_flow_videos_are_dequantised(tmp_path, square):
    _, video, _, _ = square
    flows = np.broadcast_to(np.float32([3, -2]), (19, 96, 128, 2))
    write_release_flow(str(tmp_path / 'square'), flows)
    # The planted flow is not the video's motion: without the photometric
    # check, which would end every trajectory.
    out = pipeline(video, [], dict(type='release_flow', root=str(tmp_path)),
                   decode='plain', consistency=None)
    steps = out['trajectories'].transpose(0, 3, 4, 1, 2)[out['traj_valid']]
    # One quantisation step is 40/255 = 0.157 px.
    np.testing.assert_allclose(steps.mean((0, 1)), [3, -2], atol=0.1)
    assert not out['traj_valid'].all()  # points near the top leave


def test_missing_and_mismatched_files_are_errors_naming_them(tmp_path,
                                                             square):
    root, video, traj, valid = square
    with pytest.raises(BadInputError, match='nowhere/square.npy.*missing'):
        pipeline(video, [], dict(type='stored', root=str(tmp_path /
                                                         'nowhere')),
                 decode='plain')
    write_trajectories(str(tmp_path / 'square.npy'), traj[..., :6, :],
                       valid[..., :6, :])
    with pytest.raises(BadInputError, match='square.npy.*grid'):
        pipeline(video, [], dict(type='stored', root=str(tmp_path)),
                 decode='plain')
    (tmp_path / 'bad').mkdir()
    (tmp_path / 'bad' / 'square.npy').write_bytes(b'not an npy file')
    with pytest.raises(BadInputError, match='square.npy'):
        pipeline(video, [], dict(type='stored', root=str(tmp_path / 'bad')),
                 decode='plain')


def test_undecodable_and_short_videos_are_errors_naming_them(tmp_path,
                                                             square):
    broken = tmp_path / 'broken.mp4'
    broken.write_bytes(b'\x00' * 1000)
    with pytest.raises(BadInputError, match='broken.mp4.*decord'):
        pipeline(str(broken), [])
    _, video, _, _ = square
    short = Compose([dict(type='CheckedDecordInit'),
                     dict(type='DecordDecodeWithTrajectoryFrames')])
    with pytest.raises(BadInputError, match='square.mp4.*20 frames'):
        short(dict(filename=video, frame_inds=np.array([16, 17]),
                   clip_len=2, num_clips=1, frame_interval=4))


def test_skip_policy_counts_and_returns_none(tmp_path, square):
    _, video, _, _ = square
    from mme_mmaction.datasets.transforms.bad_input import SkipsBadInput
    before = sum(SkipsBadInput.skipped.values())
    run = Compose([
        dict(type='CheckedDecordInit'),
        dict(type='DecordDecodeWithTrajectoryFrames', raw_frames=False),
        dict(type='TrajectoryTarget', on_bad_input='skip',
             source=dict(type='stored', root=str(tmp_path)))
    ])
    out = run(dict(filename=video, frame_inds=np.array([0, 4]),
                   clip_len=2, num_clips=1, modality='RGB', frame_interval=4))
    assert out is None
    assert sum(SkipsBadInput.skipped.values()) == before + 1
    with pytest.raises(ValueError, match='on_bad_input'):
        Compose([dict(type='TrajectoryTarget', on_bad_input='ignore')])


# Start frame 8 is the second tubelet's; a seed is invalid when all of its
# values are NaN, so NaN in one channel is damage, like inf.
CORRUPTIONS = {
    'inf': ((8, 0, 0, 2, 3), np.inf, 'start frame 8 holds displacements'),
    'nan_in_dy': ((8, slice(None), 1, 2, 3), np.nan,
                  'start frame 8 holds 1 seeds with NaN in some'),
    'all_nan': ((Ellipsis, ), np.nan,
                r'every value is NaN \(read at start frame 0\)'),
}


@pytest.mark.parametrize('corruption', list(CORRUPTIONS))
@pytest.mark.parametrize('policy', ['error', 'skip'])
def test_corrupt_stored_values_are_bad_input(square, tmp_path, policy,
                                             corruption):
    _, video, traj, valid = square
    corrupt, valid = traj.copy(), valid.copy()
    where, value, message = CORRUPTIONS[corruption]
    valid[8, 2, 3] = True
    corrupt[where] = value
    path = tmp_path / 'square.npy'
    np.save(path, np.where(valid[:, None, None], corrupt,
                           np.nan).astype(np.float16))
    source = dict(type='stored', root=str(tmp_path))
    if policy == 'error':
        with pytest.raises(BadInputError,
                           match=f'square.npy is corrupt: {message}'):
            pipeline(video, [], source, decode='plain')
    else:
        assert pipeline(video, [], source, decode='plain',
                        on_bad_input='skip') is None

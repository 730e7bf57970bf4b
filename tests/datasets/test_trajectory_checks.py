"""The photometric check: trajectories across a shot cut or into an
occluder end; the others keep their validity."""
import cv2
import numpy as np
import pytest
from mmengine.dataset import Compose

from mme_mmaction.motion import PhotometricCheck
from mme_mmaction.motion.consistency import patch_offsets
from synthetic_video import (moving_square, panned_shots, store_trajectories,
                             write_video)

CUT = 10  # the second shot starts at frame 10


@pytest.fixture(scope='module')
def cut_video(tmp_path_factory):
    root = tmp_path_factory.mktemp('cut')
    video = write_video(root / 'shots.mp4', panned_shots(cut=CUT))
    store_trajectories(video, root / 'stored' / 'shots.npy', num_frames=24)
    return str(video), str(root / 'stored')


def run(video, source, frame_inds, consistency=dict(), tubelet_size=1):
    stored = source['type'] == 'stored'
    return Compose([
        dict(type='DecordInit'),
        dict(type='DecordDecodeWithTrajectoryFrames', traj_len=4,
             tubelet_size=tubelet_size, raw_frames=not stored),
        dict(type='TrajectoryTarget', source=source,
             consistency=consistency),
    ])(dict(filename=video, frame_inds=np.array(frame_inds),
            clip_len=len(frame_inds), num_clips=1, modality='RGB',
            start_index=0))


def test_patch_offsets_and_residuals_by_hand():
    np.testing.assert_array_equal(
        np.unique(patch_offsets(np.array([8., 8.]), 4)), [-3, -1, 1, 3])
    check = PhotometricCheck(noise=8.)
    # Flat patches 16 grey levels apart: 16 / (0 + 8) = 2.
    np.testing.assert_allclose(
        check.residuals(np.full((1, 16), 100.), np.full((1, 16), 116.)),
        [2.])
    # Contrast 4 (std of +-4) and 12 grey levels apart: 12 / (4 + 8) = 1.
    ramp = np.array([[96., 104.] * 8])
    np.testing.assert_allclose(check.residuals(ramp, ramp + 12), [1.])
    # A texture and its copy moved by (3, -2), read at the moved point:
    # residual 0; no cut, the tracks stay valid.
    rng = np.random.default_rng(0)
    first = cv2.GaussianBlur(rng.uniform(0, 255, (48, 48)), (0, 0), 1)
    last = np.roll(first, (-2, 3), axis=(0, 1))
    points = np.stack(np.meshgrid(np.arange(12., 36., 4),
                                  np.arange(12., 36., 4)), -1).reshape(-1, 2)
    valid, cut = check(first, last, points, points + [3, -2],
                       np.ones(len(points), bool), np.array([8., 8.]))
    assert valid.all() and not cut
    # Read where it was instead: unrelated texture, a cut.
    valid, cut = check(first, last, points, points,
                       np.ones(len(points), bool), np.array([8., 8.]))
    assert cut and not valid.any()
    with pytest.raises(ValueError, match='max_residual'):
        PhotometricCheck(max_residual=0)


@pytest.mark.parametrize('source', ['online', 'lucas_kanade', 'stored'])
def test_a_cut_ends_every_trajectory_spanning_it_and_no_other(
        cut_video, source):
    video, stored = cut_video
    source = (dict(type='stored', root=stored) if source == 'stored' else
              dict(type=source))
    # Tubelets of one frame starting at 0, 4, 8, 12: only 8 -> 12 spans the
    # cut between frames 9 and 10.
    frame_inds = [0, 4, 8, 12]
    checked = run(video, source, frame_inds)
    unchecked = run(video, source, frame_inds, consistency=None)
    assert not checked['traj_valid'][2].any()
    assert unchecked['traj_valid'][2].mean() > 0.8
    for tubelet in (0, 1, 3):
        np.testing.assert_array_equal(checked['traj_valid'][tubelet],
                                      unchecked['traj_valid'][tubelet])
    np.testing.assert_array_equal(checked['trajectories'],
                                  unchecked['trajectories'])
    counts = checked['traj_checks']
    assert counts['tubelets'] == 4 and counts['cuts'] == 1
    assert counts['ended'] == unchecked['traj_valid'][2].sum()
    assert counts['tracks'] == unchecked['traj_valid'].sum()
    assert 'traj_checks' not in unchecked
    assert not {'traj_frames', 'traj_ends', 'traj_frame_map'} & set(checked)


def test_tracks_into_an_occluder_end_and_the_occluder_keeps_its_own(
        tmp_path):
    # A bright 40 px square moving (3, -2) px per frame from (30, 50): in 4
    # frames it covers background it did not cover at the start.
    video = str(write_video(tmp_path / 'square.mp4', moving_square(lift=90)))
    results = run(video, dict(type='online'), [0])
    valid = results['traj_valid'][0]
    centres = np.mgrid[0:12, 0:16].transpose(1, 2, 0)[..., ::-1] * 8 + 4
    x, y = centres[..., 0], centres[..., 1]
    covered_later = ((x > 42) & (x < 82) & (y > 42) & (y < 82)
                     & ~((x > 30) & (x < 70) & (y > 50) & (y < 90)))
    on_square = (x > 34) & (x < 66) & (y > 54) & (y < 86)
    far = (x > 90) | (y < 36)
    assert not valid[covered_later].all()
    assert valid[on_square].all() and valid[far].all()
    assert results['traj_checks']['cuts'] == 0


@pytest.mark.parametrize('source,traj_len,stride', [
    ('lucas_kanade', 2, 2),  # the ViT-B SSv2 configs' source and L
    ('online', 4, 8),  # the toy configs'
])
def test_bikes_cuts_end_their_tubelets_and_the_rest_stays_valid(
        shared_video, source, traj_len, stride):
    """bikes.mp4 cuts between frames 29|30, 75|76, 136|137, 186|187 and
    241|242 (its mean frame difference jumps from about 4 to 50-85)."""
    video = str(shared_video('bikes.mp4'))
    starts = np.arange(0, 250 - traj_len, stride)
    run_on = Compose([
        dict(type='DecordInit'),
        dict(type='DecordDecodeWithTrajectoryFrames', traj_len=traj_len,
             tubelet_size=1),
        dict(type='Resize', scale=(224, 96), keep_ratio=False),
    ])
    sample = run_on(dict(filename=video, frame_inds=starts,
                         clip_len=len(starts), num_clips=1, modality='RGB',
                         start_index=0))
    from mmaction.registry import TRANSFORMS
    checked = TRANSFORMS.build(dict(type='TrajectoryTarget',
                                    source=dict(type=source)))(dict(sample))
    unchecked = TRANSFORMS.build(
        dict(type='TrajectoryTarget', source=dict(type=source),
             consistency=None))(dict(sample))
    spans = np.array([
        any(s <= cut < s + traj_len for cut in (29, 75, 136, 186, 241))
        for s in starts
    ])
    assert spans.sum() >= 4
    assert not checked['traj_valid'][spans].any()
    # A bus sweeping through the frame can count as a cut too
    # (docs/masking.md).
    assert checked['traj_checks']['cuts'] >= spans.sum()
    kept = (checked['traj_valid'][~spans].sum()
            / unchecked['traj_valid'][~spans].sum())
    assert kept >= 0.9

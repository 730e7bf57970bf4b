"""TimeRange: clips from one part of each video, e.g. training and
evaluation clips from disjoint time ranges."""
import numpy as np
import pytest
from mmengine.dataset import Compose

from mme_mmaction.datasets.transforms import BadInputError
from synthetic_video import write_video


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    """25 frames whose mean grey level is the frame index x 8."""
    frames = np.repeat(np.arange(25, dtype=np.uint8)[:, None, None, None]
                       * 8, 32, 1).repeat(32, 2).repeat(3, 3)
    return str(write_video(tmp_path_factory.mktemp('range') / 'ramp.mp4',
                           frames))


def clips(video, start, end, draws=40, **decode):
    run = Compose([
        dict(type='CheckedDecordInit'),
        dict(type='TimeRange', start=start, end=end),
        dict(type='SampleFrames', clip_len=2, frame_interval=2,
             num_clips=1),
        dict(type='DecordDecodeWithTrajectoryFrames', traj_len=2, **decode)
    ])
    return [run(dict(filename=video, start_index=0, modality='RGB'))
            for _ in range(draws)]


def test_clips_come_from_the_range_only_and_ranges_are_disjoint(video):
    np.random.seed(0)
    # 25 frames: [0, 0.7) is frames 0-16, [0.7, 1] frames 17-24.
    early = clips(video, 0., 0.7)
    late = clips(video, 0.7, 1.)
    early_frames = {int(i) for r in early for i in r['frame_inds']}
    late_frames = {int(i) for r in late for i in r['frame_inds']}
    assert max(early_frames) <= 16 and min(late_frames) >= 17
    assert late_frames == set(range(17, 24))  # 40 draws reach every one
    # The decoded frames are the video's frames at those indices.
    for r in late[:5]:
        grey = [float(img.mean()) for img in r['imgs']]
        assert np.allclose(grey, 8 * r['frame_inds'], atol=3)
    # Trajectory frames stay inside the range too: last = start + 2 + 2.
    assert max(int(r['frame_inds'][0]) + 2 for r in early) <= 16


def test_a_range_without_frames_names_the_video(video):
    with pytest.raises(BadInputError, match='ramp.mp4: 25 frames leave '
                       'none in TimeRange'):
        clips(video, 0.5, 0.51, draws=1)


@pytest.mark.parametrize('start, end', [(0.5, 0.5), (-0.1, 0.5),
                                        (0.2, 1.1), (0.9, 0.1)])
def test_a_range_outside_zero_one_is_refused(start, end):
    from mme_mmaction.datasets.transforms import TimeRange
    with pytest.raises(ValueError, match='0 <= start < end <= 1'):
        TimeRange(start, end)


def test_decode_refuses_trajectories_past_the_range(video):
    # The range [0.7, 1] holds 8 frames; a 4-frame clip at stride 2 with
    # trajectories of 4 raw steps needs 3 x 2 + 4 + 1 = 11.
    run = Compose([
        dict(type='CheckedDecordInit'),
        dict(type='TimeRange', start=0.7, end=1.),
        dict(type='SampleFrames', clip_len=4, frame_interval=2,
             num_clips=1),
        dict(type='DecordDecodeWithTrajectoryFrames', traj_len=4)
    ])
    with pytest.raises(BadInputError, match=r'25 frames \(frames 17-24 in '
                       r'its TimeRange\) but the trajectories need frame 25'):
        run(dict(filename=video, start_index=0, modality='RGB'))

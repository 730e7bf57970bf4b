"""Online trajectory targets on decoded videos with known motion."""
import numpy as np
import pytest
from mmaction.registry import TRANSFORMS
from mmengine.dataset import Compose

from mme_mmaction.datasets.transforms import (BadInputError,
                                              DecordDecodeWithTrajectoryFrames,
                                              TrajectoryTarget)
from synthetic_video import moving_square, write_video

# Square of 40 px at (x, y) = (30, 50), moving (3, -2) px per frame, in a
# 96 x 128 video over a still textured background.
VELOCITY = np.array([3., -2.])


@pytest.fixture(scope='module')
def square_video(tmp_path_factory):
    path = tmp_path_factory.mktemp('videos') / 'square.mp4'
    return str(write_video(path, moving_square(num_frames=24)))


def run(video, geometry, frame_inds=(0, 4), traj_len=4):
    pipeline = Compose([
        dict(type='DecordInit'),
        dict(type='DecordDecodeWithTrajectoryFrames', traj_len=traj_len),
        *geometry,
        dict(type='TrajectoryTarget'),
    ])
    return pipeline(
        dict(filename=video, frame_inds=np.array(frame_inds),
             clip_len=len(frame_inds), num_clips=1, modality='RGB',
             start_index=0))


def cells_inside(valid_grid, x0, y0, x1, y1, cell=8):
    """Boolean (Hc, Wc) grid of cells whose centres lie in the box."""
    hc, wc = valid_grid.shape
    ys, xs = np.mgrid[0:hc, 0:wc] * cell + cell / 2
    return (xs > x0) & (xs < x1) & (ys > y0) & (ys < y1)


def test_square_cells_move_with_the_square_and_background_is_still(
        square_video):
    results = run(square_video, [])
    traj, valid = results['trajectories'], results['traj_valid']
    assert traj.shape == (1, 4, 2, 12, 16) and traj.dtype == np.float32
    assert valid.all()
    # Cells well inside the square for all 4 steps of the tubelet.
    square = cells_inside(valid[0], 36, 56, 64, 84)
    assert square.sum() >= 6
    moving = traj[0].transpose(2, 3, 0, 1)[square]  # (cells, L, 2)
    np.testing.assert_allclose(moving.mean((0, 1)), VELOCITY, atol=0.25)
    background = cells_inside(valid[0], 88, 60, 128, 96)
    assert np.abs(traj[0].transpose(2, 3, 0, 1)[background]).max() < 0.3
    assert 'traj_frames' not in results and 'traj_frame_map' not in results


def test_displacements_scale_with_the_resize_factor(square_video):
    results = run(square_video,
                  [dict(type='Resize', scale=(64, 48), keep_ratio=False)])
    traj = results['trajectories']
    assert traj.shape == (1, 4, 2, 6, 8)
    square = cells_inside(results['traj_valid'][0], 18, 28, 32, 42)
    moving = traj[0].transpose(2, 3, 0, 1)[square]
    np.testing.assert_allclose(moving.mean((0, 1)), VELOCITY / 2, atol=0.2)


def test_horizontal_flip_mirrors_the_grid_and_negates_dx(square_video):
    plain = run(square_video, [])['trajectories']
    flipped = run(square_video,
                  [dict(type='Flip', flip_ratio=1.)])['trajectories']
    mirrored = plain[..., ::-1] * np.array([-1, 1])[:, None, None]
    np.testing.assert_allclose(flipped, mirrored, atol=0.05)
    square = cells_inside(np.ones((12, 16)), 128 - 64, 56, 128 - 36, 84)
    moving = flipped[0].transpose(2, 3, 0, 1)[square]
    np.testing.assert_allclose(moving.mean((0, 1)), [-3, -2], atol=0.25)


def test_crop_places_seeds_on_the_final_frame(square_video):
    # A centred 64 x 64 crop at (32, 16), resized to 32 x 32 (factor 0.5):
    # final cell centre 4 + 8j lies at raw 32 + 2 (4 + 8j) = 40, 56, 72, 88
    # in x and 16 + 2 (4 + 8i) = 24, 40, 56, 72 in y.
    results = run(square_video, [
        dict(type='CenterCrop', crop_size=64),
        dict(type='Resize', scale=(32, 32), keep_ratio=False)
    ])
    traj = results['trajectories'][0].transpose(2, 3, 0, 1)  # (4, 4, L, 2)
    assert traj.shape == (4, 4, 4, 2)
    # Raw (40, 72) and (56, 72) stay inside the moving square for 4 steps.
    np.testing.assert_allclose(
        traj[3, :2].mean((0, 1)), VELOCITY / 2, atol=0.15)
    # Raw (88..., 24) and (40, 24) are background, above the square.
    assert np.abs(traj[0]).max() < 0.15


@pytest.mark.parametrize('geometry', [
    [dict(type='RandomResizedCrop'), dict(type='Resize', scale=(32, 32),
                                          keep_ratio=False)],
    [dict(type='MultiScaleCrop', input_size=64, scales=(1, .875, .75)),
     dict(type='Resize', scale=(48, 48), keep_ratio=False),
     dict(type='Flip', flip_ratio=0.5)],
])
def test_mmaction_crops_give_targets_on_the_final_grid(square_video,
                                                       geometry):
    results = run(square_video, geometry)
    h, w = results['img_shape']
    assert results['trajectories'].shape == (1, 4, 2, h // 8, w // 8)
    assert np.isfinite(results['trajectories']).all()


def test_points_leaving_the_frame_turn_invalid(tmp_path):
    # Square hugging the left edge, moving left 3 px per frame.
    frames = moving_square(12, start=(0., 30.), velocity=(-3., 0.))
    video = str(write_video(tmp_path / 'left.mp4', frames))
    valid = run(video, [])['traj_valid'][0]
    # Column x = 4: 4 -> ~1 -> ~-2, left before the third lookup.
    assert not valid[4:8, 0].any()
    # x = 20 stays inside for all four lookups; the background never moves.
    assert valid[4:8, 2].all() and valid[:, 3:].all()


def test_each_raw_frame_is_decoded_once(square_video):
    import decord
    reader = decord.VideoReader(square_video)
    calls = []

    class CountingReader:
        def __len__(self):
            return len(reader)

        def get_batch(self, inds):
            calls.append(list(inds))
            return reader.get_batch(inds)

    results = DecordDecodeWithTrajectoryFrames(traj_len=4).transform(
        dict(video_reader=CountingReader(), filename=square_video,
             frame_inds=np.arange(0, 16, 4), clip_len=4, num_clips=1,
             total_frames=len(reader)))
    # Tubelets start at 0 and 8: raw 0..4 and 8..12, sampled 0, 4, 8, 12.
    assert calls == [list(range(0, 5)) + list(range(8, 13))]
    assert len(results['imgs']) == 4
    assert results['traj_frame_map'].tolist() == [[0, 1, 2, 3, 4],
                                                  [5, 6, 7, 8, 9]]


def test_without_raw_frames_only_the_sampled_frames_are_decoded(
        square_video):
    results = Compose([
        dict(type='DecordInit'),
        dict(type='DecordDecodeWithTrajectoryFrames', traj_len=3,
             tubelet_size=1, raw_frames=False)
    ])(dict(filename=square_video, frame_inds=np.array([0, 4]), clip_len=2,
            num_clips=1, modality='RGB'))
    assert len(results['imgs']) == 2 and 'traj_frame_map' not in results
    assert results['traj_len'] == 3 and results['tubelet_size'] == 1
    # Only each trajectory's first and last raw frame, for the check:
    # raw 0, 3, 4 and 7.
    assert len(results['traj_frames']) == 4
    assert results['traj_ends'].tolist() == [[0, 1], [2, 3]]


def test_short_videos_and_missing_settings_are_clear_errors(square_video):
    with pytest.raises(ValueError, match='square.mp4.*24 frames'):
        run(square_video, [], frame_inds=(20, 22))
    sample = dict(filename=square_video, frame_inds=np.array([0, 4]),
                  clip_len=2, num_clips=1, modality='RGB', frame_interval=4)
    plain = Compose([dict(type='DecordInit'), dict(type='DecordDecode'),
                     TrajectoryTarget()])
    with pytest.raises(KeyError, match=r"\['traj_len', 'tubelet_size'\].*"
                       'DecordDecodeWithTrajectoryFrames'):
        plain(dict(sample))
    no_frames = Compose([
        dict(type='DecordInit'),
        dict(type='DecordDecodeWithTrajectoryFrames', raw_frames=False),
        TrajectoryTarget()
    ])
    with pytest.raises(KeyError, match='online trajectory source.*'
                       'raw_frames=True'):
        no_frames(dict(sample))


def test_sources_are_registered_and_unknown_ones_are_named():
    from mme_mmaction.datasets.transforms.trajectory_sources import (
        OnlineFlow, StoredTrajectories)
    from mme_mmaction.registry import TRAJECTORY_SOURCES
    assert TRAJECTORY_SOURCES.get('online') is OnlineFlow
    assert TRAJECTORY_SOURCES.get('StoredTrajectories') is StoredTrajectories
    with pytest.raises(ValueError, match="'optical'.*release_flow"):
        TrajectoryTarget(source=dict(type='optical'))


def test_sources_build_in_mmactions_scope_without_a_fallback_warning():
    import logging

    from mmengine.logging import MMLogger
    from mmengine.registry import DefaultScope
    messages = []

    class Collect(logging.Handler):

        def emit(self, record):
            messages.append(record.getMessage())

    logger = MMLogger.get_current_instance()
    handler = Collect()
    logger.addHandler(handler)
    try:
        with DefaultScope.overwrite_default_scope('mmaction'):
            TRANSFORMS.build(dict(type='TrajectoryTarget',
                                  source=dict(type='stored', root='x')))
    finally:
        logger.removeHandler(handler)
    assert not [m for m in messages if 'Failed to search registry' in m]


def test_bikes_cyclists_differ_from_the_panning_background(shared_video):
    import torch

    from mme_mmaction.models import (TrajectoryTargetGenerator, patch_std,
                                     trajectory_tokens)
    video = str(shared_video('bikes.mp4'))
    # 640 x 272 street scene: resize to 224 x 96 keeps the whole frame.
    results = run(video, [dict(type='Resize', scale=(224, 96),
                               keep_ratio=False)],
                  frame_inds=(100, 104))
    traj = torch.from_numpy(results['trajectories'])[None]
    tokens = trajectory_tokens(traj)[0]  # (N, 2, L, 4)
    motion = tokens.mean(-1).norm(dim=1).mean(-1)  # mean speed per token
    # A passing bus uncovers the cyclists on the right half between these
    # frames: the photometric check ends the tracks it disoccludes.
    assert results['traj_valid'].mean() > 0.5
    assert results['traj_checks']['ended'] > 0.2 * results['traj_valid'].size
    # Tokens that move rigidly: the panning background (about 1.3 px per
    # frame here). The cyclists cross much faster than it.
    rigid = tokens.std(-1).amax((1, 2)) < 0.15
    assert rigid.sum() >= 3
    background = motion[rigid].median()
    assert background > 0.5
    assert (motion - background).abs().max() > 10
    # PatchStd (with the generator's default noise floor) of panning tokens
    # is near zero; tokens with relative motion keep unit-scale targets.
    floor = TrajectoryTargetGenerator().patch_std_min_std
    assert patch_std(tokens[rigid], min_std=floor).abs().max() < 0.5
    moving = tokens.std(-1).amax((1, 2)) > 2
    assert patch_std(tokens[moving],
                     min_std=floor).abs().amax((1, 2, 3)).min() > 0.5


def test_flow_on_the_crop_with_a_margin_matches_whole_frame_flow(
        square_video):
    crop = [dict(type='CenterCrop', crop_size=64)]
    whole = run(square_video, crop)
    near = Compose([
        dict(type='DecordInit'),
        dict(type='DecordDecodeWithTrajectoryFrames', traj_len=4), *crop,
        dict(type='TrajectoryTarget',
             source=dict(type='online', margin=0.25))
    ])(dict(filename=square_video, frame_inds=np.array([0, 4]), clip_len=2,
            num_clips=1, modality='RGB', start_index=0))
    # The region is the crop (32..96, 16..80) grown by 16 px: 16..112 x
    # 0..96. The square moves inside it, so both agree where valid.
    both = whole['traj_valid'] & near['traj_valid']
    assert both.mean() > 0.9
    diff = np.abs(whole['trajectories'] - near['trajectories'])
    assert diff.transpose(0, 3, 4, 1, 2)[both].mean() < 0.1


def test_lucas_kanade_source_reads_the_square_exactly(square_video):
    sample = dict(filename=square_video, frame_inds=np.array([0, 4]),
                  clip_len=2, num_clips=1, modality='RGB', start_index=0)
    pipeline = Compose([
        dict(type='DecordInit'),
        dict(type='DecordDecodeWithTrajectoryFrames', traj_len=4),
        dict(type='TrajectoryTarget',
             source=dict(type='lucas_kanade'))
    ])
    results = pipeline(dict(sample))
    traj, valid = results['trajectories'], results['traj_valid']
    assert traj.shape == (1, 4, 2, 12, 16) and valid.all()
    cells = traj[0].transpose(2, 3, 0, 1)
    square = cells_inside(valid[0], 36, 56, 64, 84)
    # The default dense flow reads (2.94, -1.94) here.
    np.testing.assert_allclose(cells[square].mean((0, 1)), VELOCITY,
                               atol=0.01)
    assert np.abs(cells[square] - VELOCITY).max() < 0.1
    background = cells_inside(valid[0], 88, 60, 128, 96)
    assert np.abs(cells[background]).max() < 0.05
    assert 'traj_frames' not in results


def test_lucas_kanade_source_needs_raw_frames_and_valid_options(
        square_video):
    from mme_mmaction.datasets.transforms.trajectory_sources import \
        LucasKanadeFlow
    from mme_mmaction.registry import TRAJECTORY_SOURCES
    assert TRAJECTORY_SOURCES.get('lucas_kanade') is LucasKanadeFlow
    with pytest.raises(ValueError, match='win_size must be odd'):
        TrajectoryTarget(source=dict(type='lucas_kanade',
                                     lucas_kanade=dict(win_size=4)))
    with pytest.raises(ValueError, match="Unknown DIS preset 'slow'"):
        TrajectoryTarget(source=dict(type='lucas_kanade',
                                     guess=dict(method='dis', preset='slow')))
    no_frames = Compose([
        dict(type='DecordInit'),
        dict(type='DecordDecodeWithTrajectoryFrames', raw_frames=False),
        TrajectoryTarget(source=dict(type='lucas_kanade'))
    ])
    with pytest.raises(KeyError, match='square.mp4: the online trajectory '
                       'source needs the raw frames'):
        no_frames(dict(filename=square_video, frame_inds=np.array([0, 4]),
                       clip_len=2, num_clips=1, modality='RGB',
                       frame_interval=4))


def test_traj_len_is_the_frame_interval_unless_set(square_video):
    """The one traj_len of a pipeline: SampleFrames' frame_interval, so a
    trajectory ends at its tubelet's second sampled frame."""
    sample = dict(filename=square_video, clip_len=4, num_clips=1,
                  modality='RGB', start_index=0)
    pipeline = Compose([
        dict(type='DecordInit'),
        dict(type='SampleFrames', clip_len=4, frame_interval=3,
             num_clips=1, test_mode=True),
        dict(type='DecordDecodeWithTrajectoryFrames')
    ])
    assert pipeline(dict(sample))['traj_len'] == 3
    bare = Compose([dict(type='DecordInit'),
                    dict(type='DecordDecodeWithTrajectoryFrames')])
    with pytest.raises(KeyError, match="square.mp4: .* frame_interval "
                       r"\(SampleFrames sets it\).*set traj_len"):
        bare(dict(sample, frame_inds=np.array([0, 4, 8, 12])))


@pytest.mark.parametrize('source', ['online', 'lucas_kanade'])
def test_frames_too_small_for_the_flow_are_bad_input(tmp_path, source):
    """8 px high: OpenCV's DIS refuses the frames (smaller ones of other
    widths crash it, tests/motion/test_flow.py)."""
    from mme_mmaction.datasets.transforms.bad_input import SkipsBadInput
    frames = moving_square(8, size=(8, 400), square=4, start=(20., 2.))
    video = str(write_video(tmp_path / 'strip.mp4', frames))

    def target(**policy):
        return Compose([
            dict(type='CheckedDecordInit'),
            dict(type='DecordDecodeWithTrajectoryFrames', traj_len=2),
            dict(type='TrajectoryTarget', source=dict(type=source), **policy)
        ])(dict(filename=video, frame_inds=np.array([0, 2]), clip_len=2,
                num_clips=1, modality='RGB', start_index=0))

    with pytest.raises(BadInputError, match=(
            r'strip.mp4: frames of 8x400 px \(H x W\) are too small for DIS '
            r'optical flow .* region of its raw frames.*on_bad_input')):
        target()
    before = sum(SkipsBadInput.skipped.values())
    assert target(on_bad_input='skip') is None
    assert sum(SkipsBadInput.skipped.values()) == before + 1

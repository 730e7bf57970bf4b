"""Motion-guided masks: visible tokens follow a moving square (warp), the
square is masked first (motion), counts are exact, bad input is named."""
import copy

import numpy as np
import pytest
from mmaction.registry import TRANSFORMS
from mmengine.dataset import Compose

from mme_mmaction.datasets.transforms.motion_mask import (carry, most_moving,
                                                          settle)
from synthetic_video import moving_square, write_video

# A 48 px square moving 4 px per frame to the right over a 128 x 160
# texture, from (16, 48): sampled every 2nd frame in tubelets of 2, each
# slice starts 4 frames (16 px, one token) after the previous one, and the
# square fills tokens rows 3-5, columns 1 + t .. 3 + t of slice t.
SLICES, GRID = 4, (8, 10)


def square_tokens(slice_index: int) -> np.ndarray:
    """(8, 10) bool: the tokens the square fills at ``slice_index``."""
    tokens = np.zeros(GRID, dtype=bool)
    tokens[3:6, 1 + slice_index:4 + slice_index] = True
    return tokens


def track(tmp_path, pan=(0, 0)):
    """The sample after TrajectoryTarget (online flow, 8 px cells)."""
    video = write_video(
        tmp_path / f'square_{pan[0]}_{pan[1]}.mp4',
        moving_square(num_frames=16, size=(128, 160), square=48,
                      start=(16., 48.), velocity=(4., 0.), pan=pan))
    return Compose([
        dict(type='DecordInit'),
        dict(type='DecordDecodeWithTrajectoryFrames', traj_len=2,
             tubelet_size=2),
        dict(type='TrajectoryTarget'),
    ])(dict(filename=str(video), frame_inds=np.arange(0, 16, 2), clip_len=8,
            num_clips=1, modality='RGB', start_index=0))


@pytest.fixture(scope='module')
def tracked(tmp_path_factory):
    return track(tmp_path_factory.mktemp('square'))


def masks(sample, seeds=range(12), **kwargs):
    """(len(seeds), T', H', W') masks drawn with numpy seeds ``seeds``."""
    generator = TRANSFORMS.build(
        dict(type='MotionGuidedMaskGenerator', **kwargs))
    drawn = []
    for seed in seeds:
        np.random.seed(seed)
        drawn.append(generator(copy.deepcopy(sample))['mask'])
    return np.stack(drawn).reshape(len(seeds), SLICES, *GRID)


@pytest.mark.parametrize('ratio,masked', [(0.75, 60), (0.9, 72)])
@pytest.mark.parametrize('base_slice', ['first', 'middle'])
def test_warp_visible_tokens_follow_the_square(tracked, ratio, masked,
                                               base_slice):
    drawn = masks(tracked, mode='warp', mask_ratio=ratio,
                  base_slice=base_slice)
    assert (drawn.sum(axis=(2, 3)) == masked).all()
    base = 0 if base_slice == 'first' else SLICES // 2
    followed = 0
    for mask in drawn:
        rows, cols = np.nonzero(~mask[base] & square_tokens(base))
        for t in range(base + 1, SLICES):
            # The same content, one token further right per slice.
            assert not mask[t, rows, cols + t - base].any()
        followed += len(rows)
    assert followed >= 3  # the draws put visible tokens on the square
    # A fixed tube would not follow: its visible square tokens fall off
    # the square's trailing edge within the clip.


def test_warp_visible_background_stays_under_a_pan(tmp_path):
    # The camera pans: the background moves 1 token left per slice, the
    # square 1 right; both are followed.
    sample = track(tmp_path, pan=(-4, 0))
    drawn = masks(sample, mode='warp', mask_ratio=0.75, base_slice='first')
    assert (drawn.sum(axis=(2, 3)) == 60).all()
    for mask in drawn:
        rows, cols = np.nonzero(~mask[0] & square_tokens(0))
        assert not mask[1, rows, cols + 1].any()
        # Background tokens clear of the square and the frame's left edge.
        rows, cols = np.nonzero(~mask[0])
        keep = (cols >= 1) & ((rows < 2) | (rows > 6))
        assert not mask[1, rows[keep], cols[keep] - 1].any()


@pytest.mark.parametrize('pan', [(0, 0), (-4, 0), (3, 2)])
@pytest.mark.parametrize('ratio,masked', [(0.05, 4), (0.1, 8)])
def test_motion_masks_the_square_first_whatever_the_pan(
        tmp_path, pan, ratio, masked):
    sample = track(tmp_path, pan=pan)
    drawn = masks(sample, seeds=range(4), mode='motion', mask_ratio=ratio,
                  random_share=0)
    assert (drawn.sum(axis=(2, 3)) == masked).all()
    for t in range(SLICES):
        assert (drawn[:, t] <= square_tokens(t)).all()


def test_motion_random_share_is_carried_and_counts_stay_exact(tracked):
    drawn = masks(tracked, mode='motion', mask_ratio=0.75, random_share=0.5)
    assert (drawn.sum(axis=(2, 3)) == 60).all()
    # 30 of the 60 are the most moving: the whole square is masked.
    for t in range(SLICES):
        assert drawn[:, t][:, square_tokens(t)].all()


def test_most_moving_is_relative_to_the_median_motion():
    rng = np.random.default_rng(0)
    motion = rng.normal(0, 0.1, (2, 20, 2))
    motion[0, [3, 7, 11]] += [2., -1.]
    motion[1, [0, 5, 6]] += [0., 3.]
    known = np.ones((2, 20), dtype=bool)
    np.random.seed(1)
    chosen = most_moving(motion, known, 3)
    np.random.seed(1)
    panned = most_moving(motion + [-5., 3.], known, 3)
    np.testing.assert_array_equal(np.flatnonzero(chosen[0]), [3, 7, 11])
    np.testing.assert_array_equal(np.flatnonzero(chosen[1]), [0, 5, 6])
    np.testing.assert_array_equal(panned, chosen)
    # Against the median of the known tokens (0 here), not their mean (17):
    # the 3 px token ranks second; the unknown one's motion counts nowhere.
    few = np.zeros((1, 7, 2))
    few[0, 4:, 0] = [3., 100., -1000.]
    seen = np.array([[True] * 6 + [False]])
    np.testing.assert_array_equal(
        np.flatnonzero(most_moving(few, seen, 2)), [4, 5])
    # Unknown motion ranks last, even where it is large; a slice with none
    # known is drawn at random.
    known[0, 7] = False
    known[1] = False
    chosen = most_moving(motion, known, 3)
    assert not chosen[0, 7] and chosen.sum(axis=1).tolist() == [3, 3]


def test_settle_and_carry_keep_exact_counts():
    np.random.seed(0)
    allowed = np.ones(6, dtype=bool)
    chosen = np.array([1, 1, 1, 0, 0, 0], dtype=bool)
    assert settle(chosen, 2, allowed).sum() == 2
    assert (settle(chosen, 2, allowed) <= chosen).all()
    grown = settle(chosen, 5, allowed)
    assert grown.sum() == 5 and (grown >= chosen).all()
    # Tokens 0..5 in a row shift right by one; the last leaves the grid.
    shift = np.array([1, 2, 3, 4, 5, -1])
    sets = carry([shift, shift], base=1, count=2,
                 allowed=np.ones((3, 6), dtype=bool))
    assert (sets.sum(axis=1) == 2).all()
    kept = sets[1] & np.roll(sets[2], -1) & (np.arange(6) < 5)
    # Every base token that stays in the grid is visible one to the right.
    assert kept.sum() == (sets[1] & (np.arange(6) < 5)).sum()
    # Going back, a token is in the set when it lands on one that is.
    assert (np.roll(sets[1], -1)[:5] >= sets[0][:5]).all()


@pytest.mark.parametrize('kwargs,match', [
    (dict(mode='tube'), 'mode'),
    (dict(mask_ratio=1.0), 'mask_ratio'),
    (dict(mask_ratio=0.0), 'mask_ratio'),
    (dict(random_share=1.5), 'random_share'),
    (dict(base_slice='last'), 'base_slice'),
])
def test_bad_settings_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TRANSFORMS.build(dict(type='MotionGuidedMaskGenerator', **kwargs))


def test_bad_samples_name_the_problem(tracked):
    def run(sample, **kwargs):
        generator = TRANSFORMS.build(
            dict(type='MotionGuidedMaskGenerator', **kwargs))
        return generator(sample)

    bare = {k: v for k, v in tracked.items() if k != 'trajectories'}
    with pytest.raises(KeyError, match='after'):
        run(bare)
    # Trajectories of 4 tubelets against tubelets of 4 frames: 2 slices.
    with pytest.raises(ValueError, match='tubelet_size'):
        run(copy.deepcopy(tracked), tubelet_size=4)
    # 12 x 15 cells of 10 px do not tile 16 px patches.
    coarse = copy.deepcopy(tracked)
    coarse['trajectories'] = coarse['trajectories'][..., :12, :15]
    coarse['traj_valid'] = coarse['traj_valid'][..., :12, :15]
    with pytest.raises(ValueError, match='cell_size'):
        run(coarse)
    broken = copy.deepcopy(tracked)
    broken['trajectories'][1, 0, 0, 4, 4] = np.nan
    with pytest.raises(ValueError, match='NaN'):
        run(broken)
    with pytest.raises(ValueError, match='slices'):
        run(copy.deepcopy(tracked), base_slice=4)
    # A ratio that masks no token of this 8 x 10 grid.
    with pytest.raises(ValueError, match='mask_ratio'):
        run(copy.deepcopy(tracked), mask_ratio=0.01)

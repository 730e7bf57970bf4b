import cv2
import numpy as np
import pytest

from mme_mmaction.motion import (LucasKanadeTracker, OpticalFlow,
                                 cell_centres)
from synthetic_video import moving_square, texture


def grey(frames):
    return [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]


def zero_guesses(frames):
    return [np.zeros((*frames[0].shape, 2), np.float32)] * (len(frames) - 1)


def test_sub_pixel_pan_from_a_zero_guess_is_read_exactly():
    # The content moves (1.25, -0.75) px per frame: whole-pixel moves of a
    # 4x larger texture, area-averaged down (no interpolation bias).
    big = cv2.GaussianBlur(
        cv2.cvtColor(texture(416, 416, seed=3), cv2.COLOR_RGB2GRAY), (0, 0), 4)
    big = cv2.normalize(big, None, 0, 255, cv2.NORM_MINMAX)
    frames = [
        cv2.resize(big[12 + 3 * i:396 + 3 * i, 16 - 5 * i:400 - 5 * i],
                   (96, 96), interpolation=cv2.INTER_AREA) for i in range(4)
    ]
    seeds = cell_centres(48, 48) + 24
    steps, valid = LucasKanadeTracker(levels=2)(frames, zero_guesses(frames),
                                                seeds)
    assert steps.shape == (3, 36, 2) and steps.dtype == np.float32
    assert valid.all()
    np.testing.assert_allclose(steps.mean(1), [[1.25, -0.75]] * 3, atol=0.03)
    assert np.abs(steps - [1.25, -0.75]).max() < 0.07


def test_square_reads_its_velocity_from_a_coarse_guess():
    # 56 px square moving (3, -2) px per frame over a still texture.
    frames = grey(moving_square(num_frames=5, size=(224, 224), square=56,
                                start=(60., 100.)))
    coarse = OpticalFlow(method='dis', preset='ultrafast')
    guesses = [coarse(a, b) for a, b in zip(frames, frames[1:])]
    seeds = cell_centres(224, 224)
    steps, _ = LucasKanadeTracker()(frames, guesses, seeds)
    # Cells at least 4 px inside the square at all 5 frames.
    x, y = seeds.T
    square = (x >= 76) & (x <= 112) & (y >= 104) & (y <= 144)
    assert square.sum() == 25
    np.testing.assert_allclose(steps[:, square].mean((0, 1)), [3, -2],
                               atol=0.01)
    assert np.abs(steps[:, square] - [3, -2]).max() < 0.05
    far = (x > 160) | (y < 60)
    assert np.abs(steps[:, far]).max() < 0.05


def test_flat_windows_keep_the_guess_and_leavers_turn_invalid():
    flat = [np.full((32, 64), 128, np.uint8)] * 4
    guess = np.broadcast_to(np.float32([-3, 0.5]), (32, 64, 2))
    # x = 4 -> 1 -> -2: the third step is looked up outside the frame.
    steps, valid = LucasKanadeTracker()(flat, [guess] * 3,
                                        np.array([[4., 8.], [40., 8.]]))
    assert valid.tolist() == [False, True]
    np.testing.assert_allclose(steps[:, 1], [[-3, 0.5]] * 3)
    np.testing.assert_allclose(steps[:, 0], [[-3, 0.5], [-3, 0.5], [0, 0]])


def test_bad_options_and_inputs_are_named():
    with pytest.raises(ValueError, match='win_size must be odd.*got 8'):
        LucasKanadeTracker(win_size=8)
    with pytest.raises(ValueError, match='levels >= 0.*-1'):
        LucasKanadeTracker(levels=-1)
    frames = [np.zeros((16, 16), np.uint8)] * 3
    with pytest.raises(ValueError, match='4 flow fields need 5 frames, got 3'):
        LucasKanadeTracker()(frames, zero_guesses(frames + frames[:2]),
                             np.array([[8., 8.]]))

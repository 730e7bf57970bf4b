import numpy as np
import pytest

from mme_mmaction.motion import bilinear_sample, cell_centres, track_points


def test_cell_centres_are_the_centres_of_8x8_cells():
    np.testing.assert_array_equal(
        cell_centres(16, 24),
        [[4, 4], [12, 4], [20, 4], [4, 12], [12, 12], [20, 12]])
    with pytest.raises(ValueError, match='multiple'):
        cell_centres(20, 16)


def coordinate_field(height, width, scale=1.):
    """Field whose value at each pixel centre is that centre (x, y)."""
    ys, xs = np.mgrid[0:height, 0:width] + 0.5
    return np.stack([xs, ys], -1) * scale


def test_bilinear_sample_is_exact_on_a_linear_field():
    field = coordinate_field(10, 12)
    points = np.array([[3.25, 4.75], [0.5, 0.5], [11.5, 9.5], [6.0, 2.0]])
    np.testing.assert_allclose(bilinear_sample(field, points), points)


def test_constant_flow_gives_its_displacement_at_every_step():
    flow = np.broadcast_to(np.float32([3, -2]), (32, 32, 2))
    steps, valid = track_points([flow] * 4, cell_centres(16, 16) + 8)
    np.testing.assert_allclose(steps, np.broadcast_to([3, -2], (4, 4, 2)))
    assert valid.all()


def test_lookups_follow_the_moving_point():
    # F(x, y) = (0.1 x, 0): from x = 10 the steps are 1, 1.1, 1.21.
    flow = coordinate_field(20, 40, 0.1) * [1, 0]
    steps, valid = track_points([flow] * 3, np.array([[10., 5.]]))
    np.testing.assert_allclose(steps[:, 0, 0], [1., 1.1, 1.21], rtol=1e-6)
    assert valid.all()


def test_points_that_leave_the_frame_turn_invalid():
    flow = np.broadcast_to(np.float32([-3, 0]), (16, 32, 2))
    # x = 4 -> 1 -> -2: the third lookup is outside; x = 12 stays inside.
    steps, valid = track_points([flow] * 4, np.array([[4., 8.], [12., 8.]]))
    assert valid.tolist() == [False, True]
    np.testing.assert_allclose(steps[:, 0, 0], [-3, -3, 0, 0])
    np.testing.assert_allclose(steps[:, 1, 0], [-3, -3, -3, -3])

"""Token motion from cell trajectories, and where tokens land."""
import numpy as np
import pytest

from mme_mmaction.motion.token_motion import forward_map, token_motion


def test_token_motion_averages_the_valid_cells_by_hand():
    # One tubelet, L = 2 steps, 2 x 4 cells, tokens of 2 x 2 cells.
    traj = np.zeros((1, 2, 2, 2, 4))
    traj[0, :, 0] = 1.  # every cell: dx 1 per step, 2 in all
    traj[0, 0, 1, :, 2:] = 3.  # right token's cells: dy 3 in the 1st step
    traj[0, 0, 0, 1, 3] = np.nan  # an invalid cell's step
    valid = np.ones((1, 2, 4), dtype=bool)
    valid[0, 1, 3] = False
    motion, known = token_motion(traj, valid, cells_per_patch=2)
    assert motion.shape == (1, 1, 2, 2)
    np.testing.assert_allclose(motion[0, 0], [[2., 0.], [2., 3.]])
    assert known.all()
    # Two of four valid is enough (min_valid 0.5), one is not.
    valid[0, 0, 3] = valid[0, 1, 2] = False
    motion, known = token_motion(traj, valid, cells_per_patch=2)
    np.testing.assert_array_equal(known[0, 0], [True, False])
    with pytest.raises(ValueError, match='tile'):
        token_motion(traj, valid, cells_per_patch=3)


def test_forward_map_rounds_to_the_nearest_token_and_drops_the_lost():
    # 2 x 3 tokens; displacements in tokens.
    disp = np.zeros((2, 3, 2))
    disp[0, 0] = [0.6, 0.]  # -> (0, 1)
    disp[0, 1] = [0.4, 0.7]  # -> (1, 1)
    disp[0, 2] = [1., 0.]  # leaves on the right
    disp[1, 0] = [0., -1.2]  # -> (0, 0)
    valid = np.ones((2, 3), dtype=bool)
    valid[1, 2] = False
    np.testing.assert_array_equal(
        forward_map(disp, valid), [1, 4, -1, 0, 4, -1])

"""The accuracy measures that docs/benchmarks.md publishes."""
import cv2
import numpy as np
from test_train import load_tool

from synthetic_video import texture

bench = load_tool('tools/analysis/benchmark_pipeline.py')


def test_cell_warp_error_vanishes_at_the_true_motion_only():
    # Content moving (2, 1) px per frame: windows of a larger texture.
    big = cv2.cvtColor(texture(64, 64, seed=2), cv2.COLOR_RGB2GRAY)
    frames = np.stack([big[20 - i:52 - i, 24 - 2 * i:56 - 2 * i]
                       for i in range(3)])
    valid = np.zeros((4, 4), bool)
    valid[1:3, 1:3] = True  # cells that stay inside for both steps
    true = np.broadcast_to(np.float32([2, 1])[None, :, None, None],
                           (2, 2, 4, 4))
    assert bench.cell_warp_error(frames, true, valid) < 1e-4
    assert bench.cell_warp_error(frames, np.zeros_like(true), valid) > 5


def test_end_point_distances_sum_the_steps_over_cells_valid_in_both():
    ref = np.zeros((1, 4, 2, 1, 2), np.float32)
    traj = ref.copy()
    traj[0, :, 0, 0, 0] = 0.75  # cell 0: 3 px off in x after 4 steps
    traj[0, :, 1, 0, 1] = -1  # cell 1: 4 px off, but invalid in ref
    valid = np.ones((1, 1, 2), bool)
    ref_valid = np.array([[[True, False]]])
    np.testing.assert_allclose(
        bench.end_point_distances([(traj, valid)], [(ref, ref_valid)]), [3])

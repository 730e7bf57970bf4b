import pytest
import torch

from mme_mmaction.models import TrajectoryTargetGenerator


def test_a_pipeline_of_another_traj_len_is_named_in_the_error():
    generator = TrajectoryTargetGenerator(traj_len=2)
    traj = torch.zeros(1, 1, 4, 2, 2, 4)  # L = 4 from the pipeline
    with pytest.raises(ValueError, match=r'traj_len=2 steps '
                       r'\(model.motion_generator.traj_len\), the pipeline '
                       r'delivers 4 \(DecordDecodeWithTrajectoryFrames'):
        generator(traj, torch.ones(1, 1, 2, 4, dtype=torch.bool))


def test_tokens_validity_and_width():
    generator = TrajectoryTargetGenerator(traj_len=3, norm='none', scale=2.)
    assert generator.out_channels == 2 * 3 * 4
    traj = torch.zeros(1, 1, 3, 2, 2, 4)
    traj[0, 0, 2, 1, 1, 3] = 4.  # token 1, sub-cell (1, 1), step 2, dy
    valid = torch.zeros(1, 1, 2, 4, dtype=torch.bool)
    valid[0, 0, 0, 1] = True  # one valid cell in token 0
    target, validity = generator(traj, valid)
    assert target.shape == (1, 2, 24)
    # (c, step, h2, w2) order: c=1, step=2, sub-cell 3 -> 12 + 8 + 3 = 23
    assert target[0, 1, 23] == 2. and target.abs().sum() == 2.
    assert validity.tolist() == [[1., 0.]]


def test_patch_std_mean_adds_the_token_motion():
    generator = TrajectoryTargetGenerator(traj_len=1, norm='patch_std_mean')
    assert generator.out_channels == 2 * 4 + 2
    traj = torch.zeros(1, 1, 1, 2, 2, 4)
    traj[0, 0, 0, 0] = 2.  # both tokens move 2 px right, rigidly
    target, _ = generator(traj, torch.ones(1, 1, 2, 4, dtype=torch.bool))
    assert target.shape == (1, 2, 10)
    assert target[0, :, 8].tolist() == [2., 2.]
    assert target[0, :, :8].abs().max() == 0


def test_a_non_positive_scale_is_refused():
    with pytest.raises(ValueError, match='scale must be positive'):
        TrajectoryTargetGenerator(norm='none', scale=0.)

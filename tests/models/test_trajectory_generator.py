import numpy as np
import pytest
import torch
from mmengine.structures import BaseDataElement

from mme_mmaction.models import TrajectoryTargetGenerator


def test_a_pipeline_of_another_traj_len_is_named_in_the_error():
    generator = TrajectoryTargetGenerator(traj_len=2)
    traj = torch.zeros(1, 1, 4, 2, 2, 4)  # L = 4 from the pipeline
    with pytest.raises(ValueError, match=r'traj_len=2 steps '
                       r'\(model.motion_generator.traj_len\), the pipeline '
                       r'delivers 4 \(DecordDecodeWithTrajectoryFrames'):
        generator.targets(traj, torch.ones(1, 1, 2, 4, dtype=torch.bool))


def test_tokens_validity_and_width():
    generator = TrajectoryTargetGenerator(traj_len=3, norm='none', scale=2.)
    assert generator.out_channels == 2 * 3 * 4
    traj = torch.zeros(1, 1, 3, 2, 2, 4)
    traj[0, 0, 2, 1, 1, 3] = 4.  # token 1, sub-cell (1, 1), step 2, dy
    valid = torch.zeros(1, 1, 2, 4, dtype=torch.bool)
    valid[0, 0, 0, 1] = True  # one valid cell in token 0
    target, validity = generator.targets(traj, valid)
    assert target.shape == (1, 2, 24)
    # (c, step, h2, w2) order: c=1, step=2, sub-cell 3 -> 12 + 8 + 3 = 23
    assert target[0, 1, 23] == 2. and target.abs().sum() == 2.
    assert validity.tolist() == [[1., 0.]]


def test_patch_std_mean_adds_the_token_motion():
    generator = TrajectoryTargetGenerator(traj_len=1, norm='patch_std_mean')
    assert generator.out_channels == 2 * 4 + 2
    traj = torch.zeros(1, 1, 1, 2, 2, 4)
    traj[0, 0, 0, 0] = 2.  # both tokens move 2 px right, rigidly
    target, _ = generator.targets(traj,
                                  torch.ones(1, 1, 2, 4, dtype=torch.bool))
    assert target.shape == (1, 2, 10)
    assert target[0, :, 8].tolist() == [2., 2.]
    assert target[0, :, :8].abs().max() == 0


def test_a_non_positive_scale_is_refused():
    with pytest.raises(ValueError, match='scale must be positive'):
        TrajectoryTargetGenerator(norm='none', scale=0.)


def test_the_data_samples_fields_are_read_and_a_missing_one_named():
    generator = TrajectoryTargetGenerator(traj_len=1, norm='none')
    traj = np.zeros((1, 1, 2, 2, 4), np.float32)
    traj[0, 0, 0, 0, 1] = 3.
    samples = [BaseDataElement(trajectories=traj,
                               traj_valid=np.ones((1, 2, 4), bool))]
    target, validity = generator(torch.zeros(1, 3, 2, 16, 32), samples)
    assert target[0, 0, 1] == 3. and validity.tolist() == [[1., 1.]]
    with pytest.raises(KeyError, match="lack 'traj_valid', which "
                       r"model.motion_generator .*PackPretrainInputs"):
        generator(torch.zeros(1, 3, 2, 16, 32),
                  [BaseDataElement(trajectories=traj)])


@pytest.mark.parametrize('cells, slices, message', [
    ((4, 4), 2, r'a 4 x 4 grid of trajectory cells, the model needs 2 x 4 '
     r'\(2 x 2 cells of model.motion_generator.cell_size=8 px per token\): '
     r'set TrajectoryTarget.cell_size to 8'),
    ((2, 4), 1, r'trajectories for 1 tubelets, the backbone has 2 '
     r'\(DecordDecodeWithTrajectoryFrames.tubelet_size against '
     r'model.backbone.tubelet_size\)'),
])
def test_a_grid_other_than_the_backbones_names_both_settings(
        cells, slices, message):
    generator = TrajectoryTargetGenerator(traj_len=1, token_grid=(2, 1, 2))
    traj = torch.zeros(1, slices, 1, 2, *cells)
    with pytest.raises(ValueError, match=message):
        generator.targets(traj, torch.ones(1, slices, *cells, dtype=bool))


def test_a_cell_that_does_not_divide_the_patch_is_refused():
    with pytest.raises(ValueError, match=r'model.motion_generator.cell_size'
                       r'=6 must divide the backbone\'s patch_size=16'):
        TrajectoryTargetGenerator(cell_size=6)
    assert TrajectoryTargetGenerator(cell_size=4).cells_per_patch == 4


def test_whole_pixels_truncates_and_clips_each_step_like_the_release():
    """One token, L = 1: dx of the 4 sub-cells 0.7, -1.6, 2.2 and 25 px
    read as 0, -1, 2 and 20 (toward zero, clipped); PatchStd of those by
    hand: mean 5.25, unbiased std 9.9457."""
    traj = torch.zeros(1, 1, 1, 2, 2, 2)
    traj[0, 0, 0, 0] = torch.tensor([[0.7, -1.6], [2.2, 25.]])
    valid = torch.ones(1, 1, 2, 2, dtype=torch.bool)
    release = TrajectoryTargetGenerator(
        traj_len=1, patch_std_min_std=0., whole_pixels=True)
    target, _ = release.targets(traj, valid)
    values = np.array([0., -1., 2., 20.])
    expected = (values - values.mean()) / (values.std(ddof=1) + 2e-5)
    np.testing.assert_allclose(target[0, 0, :4], expected, rtol=1e-5)
    assert target[0, 0, 4:].abs().max() == 0  # dy: all 0
    assert release.unit == 'PatchStd of whole-pixel steps'
    # Sub-pixel motion vanishes: a 0.9 px shear is no target at all.
    traj[0, 0, 0, 0] = torch.tensor([[0., 0.], [0., 0.9]])
    assert release.targets(traj, valid)[0].abs().max() == 0
    assert TrajectoryTargetGenerator(
        traj_len=1, patch_std_min_std=0.).targets(traj, valid)[0].abs().max(
        ) > 1

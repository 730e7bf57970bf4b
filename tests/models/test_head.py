import pytest
import torch
from torch import nn

from mme_mmaction.models import MMEPretrainHead, TrajectoryTargetGenerator


class Constant(nn.Module):

    def __init__(self, value):
        super().__init__()
        self.value = value

    def forward(self, x):
        return self.value


def two_token_case(norm='patch_std', **kwargs):
    """One clip, L = 1, a 2 x 4 cell grid = 2 tokens of 2 x 2 cells.

    Token 0 has dx = 1, 2, 3, 4 over its sub-cells (h2, w2 order) and dy 0;
    token 1 is invalid. Both tokens are masked. HOG has one channel.
    """
    generator = TrajectoryTargetGenerator(traj_len=1, norm=norm)
    head = MMEPretrainHead(in_channels=4, traj_channels=8, hog_channels=1,
                           **kwargs)
    head.traj_pred = Constant(torch.zeros(1, 2, 8))
    head.hog_pred = Constant(torch.tensor([[[0.5], [1.0]]]))
    traj = torch.zeros(1, 1, 1, 2, 2, 4)
    traj[0, 0, 0, 0] = torch.tensor([[1., 2., 5., 6.], [3., 4., 7., 8.]])
    valid = torch.tensor([[[[True, True, False, False],
                            [True, True, False, False]]]])
    hog = torch.tensor([[[1.5], [0.0]]])
    mask = torch.tensor([[True, True]])
    return head.loss(torch.zeros(1, 2, 4), *generator(traj, valid), hog, mask)


def test_loss_by_hand_with_raw_displacements():
    losses = two_token_case(norm='none')
    # traj: (1 + 4 + 9 + 16) for token 0, token 1 invalid, / 2 masked = 15
    # hog: ((0.5 - 1.5)^2 + (1 - 0)^2) / 2 = 1; both weighted by 1/2.
    torch.testing.assert_close(losses['loss_traj'], torch.tensor(7.5))
    torch.testing.assert_close(losses['loss_hog'], torch.tensor(0.5))


def test_loss_by_hand_with_patch_std():
    losses = two_token_case()
    # PatchStd of dx (1, 2, 3, 4), std s = sqrt(5 / 3): squares summing to
    # (n - 1) (s / (s + 2e-5))^2 = 3 (1 - 3.1e-5); dy is all zero:
    # traj = that / 2 masked tokens, weighted by 1/2.
    std = (5 / 3)**0.5
    torch.testing.assert_close(losses['loss_traj'],
                               torch.tensor(3 * (std / (std + 2e-5))**2 / 4),
                               atol=1e-6, rtol=0)


def test_loss_weights_are_configurable():
    losses = two_token_case(norm='none', loss_weights=dict(traj=1., hog=0.))
    assert losses['loss_traj'].item() == 15 and losses['loss_hog'] == 0


def test_only_masked_tokens_count():
    head = MMEPretrainHead(in_channels=4, traj_channels=8, hog_channels=1)
    head.traj_pred = Constant(torch.zeros(1, 1, 8))
    head.hog_pred = Constant(torch.zeros(1, 1, 1))
    traj = torch.ones(1, 2, 8)
    traj[:, 1] = 100  # token 1 is visible: its error must not count
    hog = torch.tensor([[[2.], [100.]]])
    losses = head.loss(torch.zeros(1, 1, 4), traj, torch.ones(1, 2), hog,
                       torch.tensor([[True, False]]))
    assert losses['loss_traj'].item() == 0.5 * 8
    assert losses['loss_hog'].item() == 0.5 * 4


def test_shapes_and_activations():
    head = MMEPretrainHead(in_channels=192, traj_channels=32,
                           hog_channels=108)
    traj, hog = head(torch.randn(2, 5, 192) * 10)
    assert traj.shape == (2, 5, 32) and hog.shape == (2, 5, 108)
    assert traj.abs().max() <= 1 and 0 <= hog.min() and hog.max() <= 1
    free = MMEPretrainHead(4, 8, 8, 8, traj_act_cfg=None, hog_act_cfg=None)
    assert isinstance(free.traj_pred[-1], nn.Identity)


def test_targets_of_another_width_name_the_setting():
    head = MMEPretrainHead(in_channels=4, traj_channels=16, hog_channels=1)
    with pytest.raises(ValueError, match=r'predicts 16 values per token '
                       r'\(traj_channels\) but the targets have 32'):
        head.loss(torch.zeros(1, 2, 4), torch.zeros(1, 2, 32),
                  torch.ones(1, 2), torch.zeros(1, 2, 1),
                  torch.ones(1, 2, dtype=torch.bool))

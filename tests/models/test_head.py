"""MaskedRegressionHead by hand: MME's trajectory and HOG terms, VideoMAE's
mean, token weights, widths and activations."""
import pytest
import torch
from torch import nn

from mme_mmaction.models import (MaskedRegressionHead,
                                 TrajectoryTargetGenerator)


class Constant(nn.Module):

    def __init__(self, value):
        super().__init__()
        self.value = value

    def forward(self, x):
        return self.value


def mme_head(out_channels, loss_name, **kwargs):
    """One of MME's two heads (docs/method.md §6): summed squares per token,
    weighted 1/2."""
    return MaskedRegressionHead(in_channels=4, out_channels=out_channels,
                                hidden_channels=8, reduction='token_sum',
                                loss_name=loss_name,
                                **dict(dict(loss_weight=0.5), **kwargs))


def two_token_case(norm='patch_std', traj_weight=0.5, hog_weight=0.5):
    """One clip, L = 1, a 2 x 4 cell grid = 2 tokens of 2 x 2 cells.

    Token 0 has dx = 1, 2, 3, 4 over its sub-cells (h2, w2 order) and dy 0;
    token 1 is invalid. Both tokens are masked. HOG has one channel.
    """
    generator = TrajectoryTargetGenerator(traj_len=1, norm=norm)
    traj_head = mme_head(8, 'traj', loss_weight=traj_weight)
    hog_head = mme_head(1, 'hog', loss_weight=hog_weight)
    traj_head.pred = Constant(torch.zeros(1, 2, 8))
    hog_head.pred = Constant(torch.tensor([[[0.5], [1.0]]]))
    traj = torch.zeros(1, 1, 1, 2, 2, 4)
    traj[0, 0, 0, 0] = torch.tensor([[1., 2., 5., 6.], [3., 4., 7., 8.]])
    valid = torch.tensor([[[[True, True, False, False],
                            [True, True, False, False]]]])
    hog = torch.tensor([[[1.5], [0.0]]])
    mask = torch.tensor([[True, True]])
    x = torch.zeros(1, 2, 4)
    target, validity = generator.targets(traj, valid)
    return {**traj_head.loss(x, target, mask, validity),
            **hog_head.loss(x, hog, mask)}


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
    losses = two_token_case(norm='none', traj_weight=1., hog_weight=0.)
    assert losses['loss_traj'].item() == 15 and losses['loss_hog'] == 0


def test_only_masked_tokens_count():
    head = mme_head(8, 'traj')
    head.pred = Constant(torch.zeros(1, 1, 8))
    traj = torch.ones(1, 2, 8)
    traj[:, 1] = 100  # token 1 is visible: its error must not count
    losses = head.loss(torch.zeros(1, 1, 4), traj,
                       torch.tensor([[True, False]]), torch.ones(1, 2))
    assert losses['loss_traj'].item() == 0.5 * 8


def test_mean_reduction_is_videomaes_mean_square():
    head = MaskedRegressionHead(in_channels=2, out_channels=2)
    with torch.no_grad():
        head.pred.weight.copy_(torch.eye(2))
        head.pred.bias.zero_()
    x = torch.tensor([[[1., 2.]]])  # the prediction for the masked token
    target = torch.tensor([[[100., 100.], [0., 4.]]])  # token 0 is visible
    loss = head.loss(x, target, torch.tensor([[False, True]]))['loss_pixel']
    assert loss.item() == ((1 - 0)**2 + (2 - 4)**2) / 2
    # A weight scales its token's term; the mean stays over masked tokens.
    weighted = head.loss(x, target, torch.tensor([[False, True]]),
                         torch.tensor([[7., 0.5]]))['loss_pixel']
    assert weighted.item() == 0.5 * 2.5


def test_shapes_and_activations():
    head = MaskedRegressionHead(in_channels=192, out_channels=32,
                                hidden_channels=512,
                                act_cfg=dict(type='Tanh'))
    out = head(torch.randn(2, 5, 192) * 10)
    assert out.shape == (2, 5, 32) and out.abs().max() <= 1
    assert [type(m) for m in head.pred] == [nn.Linear, nn.GELU, nn.Linear,
                                            nn.Tanh]
    linear = MaskedRegressionHead(in_channels=4, out_channels=8)
    assert isinstance(linear.pred, nn.Linear)
    assert torch.equal(linear.predict(torch.ones(1, 1, 4)),
                       linear(torch.ones(1, 1, 4)))


def test_targets_of_another_width_name_the_setting():
    head = mme_head(16, 'traj')
    with pytest.raises(ValueError, match=r'predicts 16 values per token '
                       r'\(out_channels\) but the targets have 32'):
        head.loss(torch.zeros(1, 2, 4), torch.zeros(1, 2, 32),
                  torch.ones(1, 2, dtype=torch.bool))


def test_an_unknown_reduction_is_refused():
    with pytest.raises(ValueError, match="reduction must be one of"):
        MaskedRegressionHead(4, 4, reduction='sum')

"""MotionMAE: two targets, independent or shared decoders."""
import numpy as np
import pytest
import torch
from mmaction.registry import MODELS
from mmengine.structures import BaseDataElement

from tiny_models import TINY_MOTIONMAE


def samples():
    masks = [np.array([1, 0, 1, 1, 0, 1, 1, 1], bool),
             np.array([0, 1, 1, 1, 1, 1, 0, 1], bool)]
    return [BaseDataElement(mask=mask) for mask in masks]


@pytest.mark.parametrize('motion_neck', ['ind', None])
def test_both_losses_reach_every_trainable_part(motion_neck):
    cfg = dict(TINY_MOTIONMAE)
    if motion_neck is None:
        cfg['motion_neck'] = None
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    losses = model(torch.randn(2, 1, 3, 4, 32, 32), samples(), mode='loss')
    assert set(losses) == {'loss_pixel', 'loss_diff'}
    sum(losses.values()).backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name
    assert (model.motion_neck is None) == (motion_neck is None)


def test_the_difference_loss_is_the_mean_square_of_its_own_decoder():
    torch.manual_seed(0)
    model = MODELS.build(TINY_MOTIONMAE).eval()
    assert model.motion_head.pred.in_features == 12  # the motion decoder's
    video = torch.randn(2, 1, 3, 4, 32, 32)
    with torch.no_grad():
        losses = model(video, samples(), mode='loss')
        mask = torch.as_tensor(np.stack([s.mask for s in samples()]))
        latent = model.backbone(video[:, 0], mask)
        pred = model.motion_head(model.motion_neck(latent, mask))
        diff = video[:, 0, :, 1:] - video[:, 0, :, :-1]
        diff = torch.cat([diff[:, :, :1], diff], 2)
        # Token (t, h, w) -> frames 2t, 2t+1, rows 16h.., columns 16w..
        tokens = diff.reshape(2, 3, 2, 2, 2, 16, 2, 16).permute(
            0, 2, 4, 6, 3, 5, 7, 1).reshape(2, 8, -1)
        expected = (pred - tokens[mask].reshape(2, -1, 1536)).pow(2).mean()
    torch.testing.assert_close(losses['loss_diff'], expected)

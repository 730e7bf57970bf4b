"""MAM2: regressor, two decoders, VQ codes and frame differences."""
import math

import numpy as np
import pytest
import torch
from mmaction.registry import MODELS
from mmengine.structures import BaseDataElement

from mme_mmaction.models import CodePredictionHead, LatentRegressor
from tiny_models import tiny_mam2
from vqgan_checkpoints import save_random_vqgan

MASKS = [np.array([1, 0, 1, 1, 1, 0, 1, 1], bool),
         np.array([0, 1, 1, 1, 0, 1, 1, 1], bool)]


@pytest.fixture(scope='module')
def vqgan(tmp_path_factory):
    path = tmp_path_factory.mktemp('vqgan') / 'tiny.ckpt'
    save_random_vqgan(path)
    return str(path)


def samples():
    return [BaseDataElement(mask=mask) for mask in MASKS]


def test_losses_reach_every_trainable_part_and_not_the_tokenizer(vqgan):
    torch.manual_seed(0)
    model = MODELS.build(dict(tiny_mam2(vqgan), align_weight=2.))
    model.init_weights()
    model.train()
    assert not model.target_generator.training
    losses = model(torch.randn(2, 1, 3, 4, 32, 32), samples(), mode='loss')
    assert set(losses) == {'loss_code', 'loss_diff', 'loss_align'}
    # A fresh head is near uniform over the 32 codes.
    assert abs(losses['loss_code'].item() - math.log(32)) < 0.5
    sum(losses.values()).backward()
    for name, param in model.named_parameters():
        if name.startswith('target_generator.'):
            assert param.grad is None, name
        else:
            assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_sizes_come_from_the_parts(vqgan):
    model = MODELS.build(tiny_mam2(vqgan))
    assert model.regressor.num_tokens == 8 and model.regressor.embed_dims == 48
    assert model.neck.encoder_to_decoder.in_features == 48
    assert (model.head.codes_per_token, model.head.num_classes) == (2, 32)
    assert model.motion_head.pred.out_features == 1536


def test_masked_pixels_never_reach_the_predictions(vqgan):
    torch.manual_seed(0)
    model = MODELS.build(tiny_mam2(vqgan)).eval()
    video = torch.randn(2, 1, 3, 4, 32, 32, requires_grad=True)
    mask = torch.as_tensor(np.stack(MASKS))
    regressed = model.regressor(model.backbone(video[:, 0], mask), mask)
    out = model.head(model.neck(regressed, mask)).sum() + model.motion_head(
        model.motion_neck(regressed, mask)).sum()
    out.backward()
    # Token (t, h, w) covers frames 2t..2t+1, rows 16h.., columns 16w..
    grad = video.grad[:, 0].abs().reshape(2, 3, 2, 2, 2, 16, 2, 16)
    per_token = grad.sum((1, 3, 5, 7)).reshape(2, 8)
    assert (per_token[mask] == 0).all() and (per_token[~mask] > 0).all()
    # The targets, though, see the masked tokens.
    with torch.no_grad():
        changed = video.detach().clone()
        changed[0, 0, :, :2, :16, :16] += 3.  # token (0, 0, 0): masked
        before = model.predict(video.detach(), samples())
        after = model.predict(changed, samples())
    assert torch.equal(before[0].pred_code, after[0].pred_code)
    assert not torch.equal(
        model.motion_generator.targets(video[:, 0].detach()),
        model.motion_generator.targets(changed[:, 0]))


def test_the_regressor_leaves_visible_latents_as_they_are():
    """Context is keys and values only: with zero-initialised queries and
    a zero layer scale, the output is the normed mask token everywhere."""
    regressor = LatentRegressor(num_tokens=4, in_channels=6, depth=2,
                                num_heads=2, layer_scale_init=0.)
    regressor.init_weights()
    mask = torch.tensor([[True, False, True, False]])
    out = regressor(torch.randn(1, 2, 6), mask)
    assert out.shape == (1, 2, 6)
    torch.testing.assert_close(out[0], regressor.norm(
        regressor.mask_token[0].expand(2, -1)))


def test_cross_entropy_by_hand():
    head = CodePredictionHead(in_channels=1, codes_per_token=2,
                              num_classes=3)
    with torch.no_grad():
        head.pred.weight.copy_(torch.tensor([[0.], [1.], [2.]] * 2))
        head.pred.bias.zero_()
    # One masked token with feature 1: logits (0, 1, 2) for both codes.
    x = torch.ones(1, 1, 1)
    target = torch.tensor([[[9, 9], [2, 0]]])  # token 0 visible
    loss = head.loss(x, target, torch.tensor([[False, True]]))['loss_code']
    log_z = math.log(1 + math.e + math.e**2)
    expected = ((log_z - 2) + (log_z - 0)) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    # A token weight scales its term.
    weighted = head.loss(x, target, torch.tensor([[False, True]]),
                         torch.tensor([[5., 0.25]]))['loss_code']
    assert weighted.item() == pytest.approx(0.25 * expected, rel=1e-6)
    assert torch.equal(head.predict(x), torch.tensor([[[2, 2]]]))
    with pytest.raises(ValueError, match=r'\(codes_per_token\)'):
        head.loss(x, target[..., :1], torch.tensor([[False, True]]))

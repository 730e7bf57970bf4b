"""VideoMAE's pixel target, and the generic pre-trainer built from it."""
import numpy as np
import torch
from mmaction.registry import MODELS
from mmengine.structures import BaseDataElement

from mme_mmaction.models import PixelTargetGenerator


def test_pixel_tokens_are_tubes_in_t_h_w_order_normalised_per_colour():
    video = torch.randn(1, 3, 4, 32, 32)
    target = PixelTargetGenerator(normalize=False).targets(video)
    assert target.shape == (1, 8, 2 * 16 * 16 * 3)
    # token (t=1, h=0, w=1), value (p0=1, p1=2, p2=5, c=2)
    value = target[0, 4 + 1].reshape(2, 16, 16, 3)[1, 2, 5, 2]
    assert value == video[0, 2, 3, 2, 16 + 5]
    normed = PixelTargetGenerator().targets(video * 7 + 3).reshape(
        1, 8, -1, 3)
    torch.testing.assert_close(normed.mean(2), torch.zeros(1, 8, 3),
                               atol=1e-5, rtol=0)
    torch.testing.assert_close(normed.std(2), torch.ones(1, 8, 3),
                               atol=1e-4, rtol=0)


def test_videomae_from_the_same_parts_trains():
    model = MODELS.build(
        dict(type='MaskedVideoPretrainer',
             backbone=dict(type='MaskedMotionEncoder',
                           arch=dict(embed_dims=48, depth=1, num_heads=3),
                           img_size=32, num_frames=4,
                           use_mean_pooling=False),
             neck=dict(type='MMEDecoder', num_tokens=8, in_channels=48,
                       embed_dims=24, num_heads=3),
             head=dict(type='MaskedRegressionHead', in_channels=24),
             target_generator=dict(type='PixelTargetGenerator')))
    mask = np.array([1, 1, 0, 1] * 2, dtype=bool)
    samples = [BaseDataElement(mask=mask) for _ in range(2)]
    losses = model(torch.randn(2, 1, 3, 4, 32, 32), samples, mode='loss')
    losses['loss_pixel'].backward()
    assert model.backbone.blocks[0].attn.qkv.weight.grad.abs().sum() > 0
    out = model(torch.randn(2, 1, 3, 4, 32, 32), samples, mode='predict')
    assert out[0].pred_pixel.shape == out[0].target_pixel.shape == (6, 1536)
    assert 'weight_pixel' not in out[0]

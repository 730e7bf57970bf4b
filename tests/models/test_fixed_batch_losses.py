"""MME's and VideoMAE's losses on a fixed batch with fixed weights.

The expected numbers were computed before the target path was redesigned
(model-side trajectory generator, derived sizes; commit b0a1d17): the
redesign must not change what the models compute.
"""
import zlib

import numpy as np
import pytest
import torch
from mmaction.registry import MODELS
from mmengine.structures import BaseDataElement

from tiny_models import TINY_MME


def fill(model: torch.nn.Module) -> None:
    """Weights that depend only on each parameter's name and shape."""
    with torch.no_grad():
        for name, value in model.state_dict().items():
            seed = zlib.crc32(name.encode())
            generator = torch.Generator().manual_seed(seed)
            value.copy_(torch.randn(value.shape, generator=generator) * 0.1)


def batch():
    generator = torch.Generator().manual_seed(0)
    video = torch.randn(2, 1, 3, 4, 32, 32, generator=generator)
    traj = torch.randn(2, 2, 2, 2, 4, 4, generator=generator) * 3
    valid = torch.rand(2, 2, 4, 4, generator=generator) > 0.2
    masks = [np.array([1, 0, 1, 1] * 2, bool),
             np.array([0, 1, 1, 1] * 2, bool)]
    return video, [
        BaseDataElement(mask=masks[i], trajectories=traj[i].numpy(),
                        traj_valid=valid[i].numpy()) for i in range(2)
    ]


@pytest.mark.parametrize('norm, loss_traj', [
    ('patch_std', 6.006435394287109),
    ('none', 63.125850677490234),
    ('patch_std_mean', 9.2670316696167),
])
def test_mme_losses_are_unchanged(norm, loss_traj):
    model = MODELS.build(
        dict(TINY_MME, motion_generator=dict(
            TINY_MME['motion_generator'], traj_len=2, norm=norm)))
    fill(model)
    losses = model(*batch(), mode='loss')
    assert losses['loss_traj'].item() == pytest.approx(loss_traj, rel=1e-6)
    assert losses['loss_hog'].item() == pytest.approx(1.970143437385559,
                                                      rel=1e-6)


def test_videomae_loss_is_unchanged():
    model = MODELS.build(
        dict(type='MaskedVideoPretrainer', backbone=TINY_MME['backbone'],
             neck=TINY_MME['neck'], head=dict(type='PixelPretrainHead'),
             target_generator=dict(type='PixelTargetGenerator')))
    fill(model)
    loss = model(*batch(), mode='loss')['loss_pixel'].item()
    assert loss == pytest.approx(1.0139656066894531, rel=1e-6)

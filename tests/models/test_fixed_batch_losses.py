"""Every method's losses on a fixed batch with fixed weights.

MME's and VideoMAE's numbers were computed before the target path was
redesigned (model-side trajectory generator, derived sizes; commit
b0a1d17), MotionMAE's and MAM2's before one interface per target and head
(207c349): refactoring must not change what the models compute.
"""
import zlib

import numpy as np
import pytest
import torch
from mmaction.registry import MODELS
from mmengine.structures import BaseDataElement

from mme_mmaction.models import MME
from tiny_models import TINY_MME


# MME's heads before the one-interface refactor: both MLPs in one head.
OLD_NAMES = (('motion_head.pred.', 'head.traj_pred.'),
             ('head.pred.', 'head.hog_pred.'))


def fill(model: torch.nn.Module) -> None:
    """Weights that depend only on each parameter's name (the name it had
    when the numbers were recorded) and shape."""
    with torch.no_grad():
        for name, value in model.state_dict().items():
            if isinstance(model, MME):
                name = next((old + name[len(new):] for new, old in OLD_NAMES
                             if name.startswith(new)), name)
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
             neck=TINY_MME['neck'], head=dict(type='MaskedRegressionHead'),
             target_generator=dict(type='PixelTargetGenerator')))
    fill(model)
    loss = model(*batch(), mode='loss')['loss_pixel'].item()
    assert loss == pytest.approx(1.0139656066894531, rel=1e-6)


@pytest.mark.parametrize('shared, loss_diff', [
    (False, 2.0121214389801025),
    (True, 2.01320743560791),
])
def test_motionmae_losses_are_unchanged(shared, loss_diff):
    """Recorded at 207c349, before one interface per target and head."""
    from tiny_models import TINY_MOTIONMAE
    cfg = dict(TINY_MOTIONMAE, motion_neck=None) if shared else TINY_MOTIONMAE
    model = MODELS.build(cfg)
    fill(model)
    losses = model(*batch(), mode='loss')
    assert losses['loss_pixel'].item() == pytest.approx(1.0139656066894531,
                                                        rel=1e-6)
    assert losses['loss_diff'].item() == pytest.approx(loss_diff, rel=1e-6)


def test_mam2_losses_are_unchanged(tmp_path):
    """Recorded at 207c349, before one interface per target and head."""
    from tiny_models import tiny_mam2
    from vqgan_checkpoints import save_random_vqgan
    save_random_vqgan(tmp_path / 'vqgan.ckpt')
    model = MODELS.build(
        dict(tiny_mam2(str(tmp_path / 'vqgan.ckpt')), align_weight=1.))
    fill(model)
    losses = model(*batch(), mode='loss')
    expected = dict(loss_code=3.48569655418396, loss_diff=2.010720729827881,
                    loss_align=0.026253031566739082)
    assert set(losses) == set(expected)
    for key, value in expected.items():
        assert losses[key].item() == pytest.approx(value, rel=1e-6), key

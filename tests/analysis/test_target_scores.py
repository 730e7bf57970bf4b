"""target_scores: each head against predictors that see nothing."""
import numpy as np
import pytest
import torch
from mmaction.registry import MODELS
from mmengine.structures import BaseDataElement

from mme_mmaction.analysis.target_scores import (prediction_scores,
                                                 target_scores)
from tiny_models import TINY_MOTIONMAE, tiny_mam2
from vqgan_checkpoints import save_random_vqgan

MASKS = [[1, 0, 1, 1, 0, 1, 1, 1], [0, 1, 1, 1, 1, 1, 0, 1],
         [1, 1, 0, 1, 1, 0, 1, 1]]


def clips():
    torch.manual_seed(1)
    return [dict(inputs=torch.randn(1, 3, 4, 32, 32),
                 data_samples=BaseDataElement(mask=np.array(m, bool)))
            for m in MASKS]


def constant_head(head, value):
    """Make a head's output ``value`` whatever it reads."""
    with torch.no_grad():
        head.pred.weight.zero_()
        head.pred.bias.copy_(torch.as_tensor(value))


def masked_targets(model, name):
    samples = model.predict(*model.data_preprocessor(
        {k: [c[k] for c in clips()] for k in ('inputs', 'data_samples')},
        False).values())
    return torch.cat([s.get(f'target_{name}') for s in samples]).double()


def test_a_constant_head_scores_its_constant():
    torch.manual_seed(0)
    model = MODELS.build(TINY_MOTIONMAE)
    constant_head(model.head, 0.)
    pixels = masked_targets(model, 'pixel')
    mean = pixels.mean(0)
    constant_head(model.motion_head, mean.float())  # diff targets: 1536 too
    scores = target_scores(model, clips(), batch_size=2)
    assert set(scores) == {'pixel', 'diff'}
    pixel = scores['pixel']
    assert pixel['model'] == pytest.approx(pixel['zero'], rel=1e-6)
    assert pixel['zero'] == pytest.approx(
        pixels.pow(2).sum(-1).mean().item(), rel=1e-6)
    assert pixel['mean'] == pytest.approx(
        (pixels - mean).pow(2).sum(-1).mean().item(), rel=1e-6)
    # The best constant is the mean: a shifted one does worse.
    assert pixel['mean'] < pixel['zero']
    diffs = masked_targets(model, 'diff')
    assert scores['diff']['model'] == pytest.approx(
        (diffs - mean).pow(2).sum(-1).mean().item(), rel=1e-5)
    assert scores['diff']['mean'] < scores['diff']['model']


def test_the_batch_size_does_not_change_the_scores():
    torch.manual_seed(0)
    model = MODELS.build(TINY_MOTIONMAE)
    one = target_scores(model, clips(), batch_size=1)
    three = target_scores(model, clips(), batch_size=3)
    for name in one:
        for k in one[name]:
            assert one[name][k] == pytest.approx(three[name][k], rel=1e-5)


def test_an_untrained_head_is_left_out():
    model = MODELS.build(
        dict(TINY_MOTIONMAE,
             motion_head=dict(TINY_MOTIONMAE['motion_head'],
                              loss_weight=0.)))
    assert set(target_scores(model, clips())) == {'pixel'}


def test_codes_score_the_fraction_right_against_the_majority(tmp_path):
    save_random_vqgan(str(tmp_path / 'vq.ckpt'))
    torch.manual_seed(0)
    model = MODELS.build(tiny_mam2(str(tmp_path / 'vq.ckpt')))
    codes = masked_targets(model, 'code').long().flatten()
    counts = torch.bincount(codes, minlength=32)
    guess = int(counts.argmin())  # the rarest code, possibly never seen
    bias = torch.full((2, 32), -10.)
    bias[:, guess] = 10.
    constant_head(model.head, bias.flatten())
    code = target_scores(model, clips())['code']
    assert code['model'] == pytest.approx(counts[guess].item() / len(codes))
    assert code['majority'] == pytest.approx(counts.max().item() / len(codes))


def test_weighted_errors_by_hand():
    pred = torch.tensor([[1., 1.], [3., 3.]])
    target = torch.tensor([[1., 2.], [3., 4.]])
    weight = torch.tensor([1., .5])
    scores = prediction_scores(pred, target, weight)
    # Token errors 1 and 1, weighted 1 and 0.5, over two tokens.
    assert scores['model'] == pytest.approx(0.75)
    assert scores['zero'] == pytest.approx((5 + 0.5 * 25) / 2)
    # Weighted mean target (5/3, 8/3): errors 8/9 and 32/9.
    assert scores['mean'] == pytest.approx((8 / 9 + 0.5 * 32 / 9) / 2)


def test_codes_by_hand():
    target = torch.tensor([[0, 1], [1, 1], [2, 1]])
    pred = torch.tensor([[0, 0], [1, 1], [2, 1]])
    scores = prediction_scores(pred, target, torch.ones(3))
    assert scores == pytest.approx(dict(model=5 / 6, majority=4 / 6))

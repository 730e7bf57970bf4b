import numpy as np
import pytest
import torch
from mmaction.registry import MODELS
from mmengine.structures import BaseDataElement

from mme_mmaction.models import MMEDecoder
from tiny_models import TINY_MME


def samples(batch=2, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(batch):
        mask = np.zeros(8, dtype=bool)
        mask[rng.permutation(4)[:3]] = True  # a tube mask: 3 of 4 patches
        mask[4:] = mask[:4]
        sample = BaseDataElement()
        sample.set_field(mask, 'mask')
        sample.set_field(rng.normal(size=(2, 4, 2, 4, 4)).astype(np.float32),
                         'trajectories')
        sample.set_field(np.ones((2, 4, 4), dtype=bool), 'traj_valid')
        out.append(sample)
    return out


def test_loss_backpropagates_into_every_trainable_part():
    torch.manual_seed(0)
    model = MODELS.build(TINY_MME)
    model.init_weights()
    losses = model(torch.randn(2, 1, 3, 4, 32, 32), samples(), mode='loss')
    assert set(losses) == {'loss_traj', 'loss_hog'}
    sum(losses.values()).backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_predict_returns_predictions_beside_targets():
    model = MODELS.build(TINY_MME).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 1, 3, 4, 32, 32), samples(), mode='predict')
    for sample in out:
        assert sample.pred_traj.shape == sample.target_traj.shape == (6, 32)
        assert sample.pred_hog.shape == sample.target_hog.shape == (6, 108)
        assert sample.traj_validity.shape == (6, )


def test_extract_feat_uses_no_mask():
    model = MODELS.build(TINY_MME).eval()
    x = torch.randn(2, 1, 3, 4, 32, 32)
    with torch.no_grad():
        assert model(x, mode='tensor').shape == (2, 8, 48)
        torch.testing.assert_close(model.extract_feat(x),
                                   model.backbone(x[:, 0]))


def test_missing_targets_name_the_packing_fix():
    model = MODELS.build(TINY_MME)
    bare = [BaseDataElement() for _ in range(2)]
    with pytest.raises(KeyError, match='algorithm_keys'):
        model(torch.randn(2, 1, 3, 4, 32, 32), bare, mode='loss')


def test_decoder_outputs_masked_tokens_in_ascending_order():
    # Without blocks the output is norm(mask token + position of each
    # masked token), which pins down both order and positions.
    decoder = MMEDecoder(num_tokens=8, in_channels=6, embed_dims=6, depth=0)
    decoder.init_weights()
    mask = torch.tensor([[False, True, False, True, True, False, False,
                          True]])
    out = decoder(torch.randn(1, 4, 6), mask)
    expected = decoder.norm(decoder.mask_token[0] +
                            decoder.pos_embed[0, [1, 3, 4, 7]])
    torch.testing.assert_close(out[0], expected)
    assert 'pos_embed' not in decoder.state_dict()
    nothing = decoder(torch.randn(1, 8, 6), torch.zeros(1, 8, dtype=bool))
    assert nothing.shape == (1, 0, 6)
    with pytest.raises(ValueError, match='8 tokens'):
        decoder(torch.randn(1, 4, 6), torch.zeros(1, 10, dtype=torch.bool))


def test_sizes_come_from_the_parts_and_contradictions_are_named():
    model = MODELS.build(TINY_MME)
    assert model.neck.num_tokens == 8 and model.neck.pos_embed.shape[1] == 8
    assert model.head.traj_pred[0].in_features == 24
    assert model.head.hog_channels == 108
    assert model.head.traj_channels == 2 * 4 * 4
    wrong = dict(TINY_MME, neck=dict(TINY_MME['neck'], num_tokens=10))
    with pytest.raises(ValueError, match=r'model.neck.num_tokens=10 but the '
                       'model needs 8'):
        MODELS.build(wrong)

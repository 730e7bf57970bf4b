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
        assert sample.weight_traj.shape == (6, )
        assert 'weight_hog' not in sample


def test_extract_feat_uses_no_mask():
    model = MODELS.build(TINY_MME).eval()
    x = torch.randn(2, 1, 3, 4, 32, 32)
    with torch.no_grad():
        assert model(x, mode='tensor').shape == (2, 8, 48)
        torch.testing.assert_close(model.extract_feat(x),
                                   model.backbone(x[:, 0]))


def test_missing_targets_name_the_packing_fix():
    model = MODELS.build(TINY_MME)
    assert model.sample_keys == ('mask', 'trajectories', 'traj_valid')
    bare = [BaseDataElement() for _ in range(2)]
    with pytest.raises(KeyError, match="lack 'mask'.*PackPretrainInputs"):
        model(torch.randn(2, 1, 3, 4, 32, 32), bare, mode='loss')
    no_traj = [BaseDataElement(mask=s.mask) for s in samples()]
    with pytest.raises(KeyError, match="lack 'trajectories', which "
                       r'model.motion_generator'):
        model(torch.randn(2, 1, 3, 4, 32, 32), no_traj, mode='loss')


def test_masks_of_another_grid_name_the_settings():
    model = MODELS.build(TINY_MME)
    wrong = [BaseDataElement(mask=np.ones(12, bool)) for _ in range(2)]
    with pytest.raises(ValueError, match=r"masks cover 12 tokens, the "
                       r"backbone has 8 \(2 x 2 x 2\): set the mask step's "
                       r'patch_size and tubelet_size'):
        model(torch.randn(2, 1, 3, 4, 32, 32), wrong, mode='loss')


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
    assert model.motion_head.pred[0].in_features == 24
    assert model.head.out_channels == 108
    assert model.motion_head.out_channels == 2 * 4 * 4
    # Geometry from the backbone: a 32 px clip of 2-frame 16 px tubelets.
    assert (model.target_generator.patch_size,
            model.target_generator.tubelet_size) == (16, 2)
    assert model.motion_generator.token_grid == (2, 2, 2)
    wrong = dict(TINY_MME, neck=dict(TINY_MME['neck'], num_tokens=10))
    with pytest.raises(ValueError, match=r'model.neck.num_tokens=10 but '
                       'model.backbone gives 8'):
        MODELS.build(wrong)
    wrong = dict(TINY_MME, target_generator=dict(
        TINY_MME['target_generator'], tubelet_size=4))
    with pytest.raises(ValueError, match=r'model.target_generator.'
                       r'tubelet_size=4 but model.backbone.tubelet_size gives '
                       r'2: remove model.target_generator.tubelet_size'):
        MODELS.build(wrong)
    wrong = dict(TINY_MME, motion_head=dict(TINY_MME['motion_head'],
                                            out_channels=16))
    with pytest.raises(ValueError, match=r'model.motion_head.out_channels=16 '
                       r'but its target generator \(TrajectoryTargetGenerator'
                       r'\) gives 32'):
        MODELS.build(wrong)
    for parts in (dict(motion_head=None),
                  dict(motion_generator=None, motion_head=None,
                       motion_neck=TINY_MME['neck'])):
        with pytest.raises(ValueError, match='motion_generator and '
                           'model.motion_head go together'):
            MODELS.build(dict(TINY_MME, **parts))


@pytest.mark.parametrize('shape, message', [
    ((2, 4, 2, 8, 8), r'a 8 x 8 grid of trajectory cells, the model needs '
     r'4 x 4 .*set TrajectoryTarget.cell_size to 8'),
    ((4, 4, 2, 4, 4), r'trajectories for 4 tubelets, the backbone has 2 '
     r'\(DecordDecodeWithTrajectoryFrames.tubelet_size against '
     r'model.backbone.tubelet_size\)'),
    ((2, 2, 2, 4, 4), r'traj_len=4 steps \(model.motion_generator.traj_len'
     r'\), the pipeline delivers 2'),
])
def test_a_pipeline_of_other_geometry_is_named_on_the_first_batch(
        shape, message):
    """A pipeline with cell_size=4, tubelet_size=1 or traj_len=2 against
    the tiny model (cell 8, tubelet 2, L = 4): both settings named."""
    model = MODELS.build(TINY_MME)
    batch = samples()
    for sample in batch:
        sample.trajectories = np.zeros(shape, np.float32)
        sample.traj_valid = np.ones(shape[:1] + shape[3:], bool)
    with pytest.raises(ValueError, match=message):
        model(torch.randn(2, 1, 3, 4, 32, 32), batch, mode='loss')

import pytest
import torch
from mmaction.models.backbones import VisionTransformer
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample

from mme_mmaction.models import MaskedMotionEncoder

TINY = dict(arch=dict(embed_dims=48, depth=2, num_heads=3), img_size=32,
            num_frames=4)


def randomise(module):
    """Random values everywhere, q/v biases included, so nothing is 0."""
    torch.manual_seed(0)
    with torch.no_grad():
        for p in module.parameters():
            p.normal_(0, 0.2)
    return module.eval()


def stock(**kwargs):
    return VisionTransformer(
        embed_dims=48, depth=2, num_heads=3, img_size=32, num_frames=4,
        **kwargs).eval()


def rel_err(a, b):
    return ((a - b).norm() / b.norm()).item()


def _as_stock(encoder):
    theirs = stock(use_mean_pooling=encoder.fc_norm is not None)
    theirs.load_state_dict(encoder.state_dict())
    return theirs


def test_weights_load_from_ours_into_stock_with_equal_outputs():
    ours = randomise(MaskedMotionEncoder(**TINY))
    theirs = stock()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(2, 3, 4, 32, 32)
    with torch.no_grad():
        assert rel_err(ours(x), theirs(x)) <= 1e-5


def test_weights_load_from_stock_into_ours_with_equal_outputs():
    theirs = randomise(stock(use_mean_pooling=False))
    ours = MaskedMotionEncoder(**TINY, use_mean_pooling=False).eval()
    ours.load_state_dict(theirs.state_dict())
    x = torch.randn(2, 3, 4, 32, 32)
    with torch.no_grad():
        # Without pooling the stock backbone returns token 0, ours all.
        assert rel_err(ours(x)[:, 0], theirs(x)) <= 1e-5


def test_masked_forward_encodes_only_the_visible_tokens():
    ours = randomise(MaskedMotionEncoder(**TINY, use_mean_pooling=False))
    theirs = _as_stock(ours)
    x = torch.randn(2, 3, 4, 32, 32)
    mask = torch.zeros(2, 8, dtype=torch.bool)
    mask[0, [0, 3, 5, 6]] = True
    mask[1, [1, 2, 4, 7]] = True
    with torch.no_grad():
        out = ours(x, mask)
        tokens = theirs.patch_embed(x)[0] + theirs.pos_embed
        tokens = tokens[~mask].reshape(2, 4, 48)
        for block in theirs.blocks:
            tokens = block(tokens)
        expected = theirs.norm(tokens)
    assert out.shape == (2, 4, 48)
    assert rel_err(out, expected) <= 1e-5


def test_outputs_without_mask():
    x = torch.randn(1, 3, 4, 32, 32)
    feat_map = MaskedMotionEncoder(**TINY, return_feat_map=True)
    assert feat_map(x).shape == (1, 48, 2, 2, 2)
    tokens = MaskedMotionEncoder(**TINY, use_mean_pooling=False)
    assert tokens(x).shape == (1, 8, 48)


def test_position_table_is_resampled_like_the_stock_backbone_spatially():
    ours = randomise(MaskedMotionEncoder(**TINY))
    theirs = _as_stock(ours)
    x = torch.randn(1, 3, 4, 48, 48)
    with torch.no_grad():
        assert rel_err(ours(x), theirs(x)) <= 1e-5


def test_position_table_is_resampled_in_time():
    ours = MaskedMotionEncoder(**TINY)
    table = ours._pos_embed((4, 2, 2)).reshape(4, 2, 2, 48)
    original = ours.pos_embed.reshape(2, 2, 2, 48)
    # Linear, half-pixel aligned: out t = 0 and 3 copy the ends, t = 1 mixes
    # 3/4 of slice 0 and 1/4 of slice 1.
    torch.testing.assert_close(table[0], original[0])
    torch.testing.assert_close(table[3], original[1])
    torch.testing.assert_close(table[1], 0.75 * original[0] +
                               0.25 * original[1])
    assert ours(torch.randn(1, 3, 8, 32, 32)).shape == (1, 48)


def test_arch_presets_and_vit_b_size():
    base = MaskedMotionEncoder(arch='base')
    params = sum(p.numel() for p in base.parameters())
    assert 85e6 < params < 88e6  # ViT-B/16 with tubelets: ~86.2M
    assert base.pos_embed.shape == (1, 1568, 768)
    assert MaskedMotionEncoder(arch='small').embed_dims == 384
    with pytest.raises(ValueError, match='arch'):
        MaskedMotionEncoder(arch='huge-ish')


def test_layer_depth_for_layer_wise_decay():
    enc = MaskedMotionEncoder(**TINY)
    assert enc.get_layer_depth('backbone.patch_embed.projection.weight',
                               'backbone.') == (0, 4)
    assert enc.get_layer_depth('backbone.pos_embed', 'backbone.') == (0, 4)
    assert enc.get_layer_depth('backbone.blocks.1.attn.qkv.weight',
                               'backbone.') == (2, 4)
    assert enc.get_layer_depth('backbone.fc_norm.weight',
                               'backbone.') == (3, 4)
    assert enc.get_layer_depth('cls_head.fc_cls.weight', 'backbone.') == (3,
                                                                          4)


def test_works_as_a_recognizer_backbone():
    model = MODELS.build(
        dict(type='Recognizer3D',
             backbone=dict(type='MaskedMotionEncoder', **TINY),
             cls_head=dict(type='TimeSformerHead', num_classes=5,
                           in_channels=48, average_clips='prob'),
             data_preprocessor=dict(type='ActionDataPreprocessor',
                                    format_shape='NCTHW')))
    samples = [ActionDataSample().set_gt_label(i) for i in (1, 3)]
    losses = model(torch.randn(2, 1, 3, 4, 32, 32), samples, mode='loss')
    losses['loss_cls'].backward()
    assert model.backbone.blocks[0].attn.qkv.weight.grad.abs().sum() > 0

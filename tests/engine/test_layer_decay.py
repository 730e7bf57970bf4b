"""Tests of :class:`LayerDecayOptimWrapperConstructor`.

A depth-2 ViT has 4 layers (embeddings, 2 blocks, the rest); with decay
rate 0.5 the lr scales are 0.5 ** 3 = 0.125 (patch and position
embeddings, class and mask tokens), 0.25 (blocks.0), 0.5 (blocks.1) and 1
(fc_norm, the head). The layer ids are those of MMAction2's
``get_layer_id_for_vit``, the reference for every name tested.
"""
from typing import Dict, Tuple

import pytest
import torch
import torch.nn.functional as F
from mmaction.engine.optimizers.layer_decay_optim_wrapper_constructor import \
    get_layer_id_for_vit
from mmaction.registry import MODELS
from mmengine.model import BaseModel
from mmengine.optim import (CosineAnnealingLR, LinearLR, OptimWrapper,
                            build_optim_wrapper)
from tiny_models import TINY_MME
from torch import nn

from mme_mmaction.engine import LayerDecayOptimWrapperConstructor
from mme_mmaction.models.utils import vit_layer_depth

LR = 1e-3
WD = 0.05
RATE = 0.5
VIT = dict(type='VisionTransformer', embed_dims=24, depth=2, num_heads=2,
           img_size=32, num_frames=4)
MME = dict(type='MaskedMotionEncoder',
           arch=dict(embed_dims=24, depth=2, num_heads=2), img_size=32,
           num_frames=4)

# (parameter name, lr scale, decayed?), by hand from the rule above.
BLOCK_PARAMS = [('norm1.weight', False), ('norm1.bias', False),
                ('attn.q_bias', False), ('attn.v_bias', False),
                ('attn.qkv.weight', True), ('attn.proj.weight', True),
                ('attn.proj.bias', False), ('norm2.weight', False),
                ('norm2.bias', False), ('mlp.layers.0.0.weight', True),
                ('mlp.layers.0.0.bias', False), ('mlp.layers.1.weight', True),
                ('mlp.layers.1.bias', False)]
EXPECTED = {
    'backbone.patch_embed.projection.weight': (0.125, True),
    'backbone.patch_embed.projection.bias': (0.125, False),
    **{f'backbone.blocks.0.{n}': (0.25, d) for n, d in BLOCK_PARAMS},
    **{f'backbone.blocks.1.{n}': (0.5, d) for n, d in BLOCK_PARAMS},
    'backbone.fc_norm.weight': (1., False),
    'backbone.fc_norm.bias': (1., False),
    'cls_head.fc_cls.weight': (1., True),
    'cls_head.fc_cls.bias': (1., False),
}


def _cfg(wrapper: str = 'OptimWrapper', **paramwise) -> dict:
    return dict(
        type=wrapper,
        constructor='LayerDecayOptimWrapperConstructor',
        optimizer=dict(type='AdamW', lr=LR, betas=(0.9, 0.999),
                       weight_decay=WD),
        paramwise_cfg=dict(layer_decay_rate=RATE, **paramwise))


def _recognizer(backbone: dict) -> nn.Module:
    torch.manual_seed(0)
    return MODELS.build(
        dict(type='Recognizer3D', backbone=backbone,
             cls_head=dict(type='TimeSformerHead', num_classes=3,
                           in_channels=24),
             data_preprocessor=dict(type='ActionDataPreprocessor',
                                    format_shape='NCTHW')))


def _settings(wrapper: OptimWrapper,
              model: nn.Module) -> Dict[str, Tuple[float, float]]:
    """(lr, weight decay) of each optimised parameter, by name."""
    names = {id(p): n for n, p in model.named_parameters()}
    settings = {}
    for group in wrapper.optimizer.param_groups:
        for param in group['params']:
            assert names[id(param)] not in settings, 'parameter added twice'
            settings[names[id(param)]] = (group['lr'], group['weight_decay'])
    return settings


def _expected(table: Dict[str, Tuple[float, bool]]):
    return {name: (pytest.approx(LR * scale, rel=1e-12), WD if decay else 0.)
            for name, (scale, decay) in table.items()}


@pytest.mark.parametrize('backbone', [VIT, MME], ids=['vit', 'mme'])
def test_lr_and_weight_decay_per_parameter(backbone):
    model = _recognizer(backbone)
    wrapper = build_optim_wrapper(model, _cfg())
    assert _settings(wrapper, model) == _expected(EXPECTED)
    # One group per (scale, decay), the head's full lr first.
    groups = [(g['lr_scale'], g['weight_decay'])
              for g in wrapper.optimizer.param_groups]
    assert groups == [(1., WD), (1., 0.), (.5, WD), (.5, 0.), (.25, WD),
                      (.25, 0.), (.125, WD), (.125, 0.)]


@pytest.mark.parametrize('backbone', [VIT, MME], ids=['vit', 'mme'])
def test_learnable_pos_embed_is_layer_0_without_decay(backbone):
    model = _recognizer(dict(backbone, use_learnable_pos_emb=True))
    assert isinstance(model.backbone.pos_embed, nn.Parameter)
    wrapper = build_optim_wrapper(model, _cfg())
    expected = dict(EXPECTED, **{'backbone.pos_embed': (0.125, False)})
    assert _settings(wrapper, model) == _expected(expected)


def _with_tokens(model: nn.Module) -> nn.Module:
    """Give the backbone the class and mask tokens that other ViTs have."""
    dims = model.backbone.embed_dims
    for name in ('cls_token', 'mask_token'):
        model.backbone.register_parameter(
            name, nn.Parameter(torch.zeros(1, 1, dims)))
    return model


def test_stock_vit_and_mme_encoder_give_the_same_settings():
    """The stock ViT's layers come from the constructor's rule, the
    encoder's from its ``get_layer_depth``: the same, tokens included."""
    settings = []
    for backbone in (VIT, MME):
        model = _with_tokens(
            _recognizer(dict(backbone, use_learnable_pos_emb=True)))
        settings.append(_settings(build_optim_wrapper(model, _cfg()), model))
    assert settings[0] == settings[1]
    assert settings[0]['backbone.cls_token'] == (LR * 0.125, 0.)
    assert settings[0]['backbone.mask_token'] == (LR * 0.125, 0.)


# mmpretrain's ViTs put cls_token, pos_embed and patch_embed.* at layer 0;
# MMAction2's get_layer_id_for_vit (as VideoMAE's) also mask_token. Names
# outside the prefix, e.g. a decoder's mask_token, are in the last layer.
@pytest.mark.parametrize('name, layer', [
    ('backbone.patch_embed.projection.weight', 0),
    ('backbone.patch_embed.projection.bias', 0),
    ('backbone.pos_embed', 0),
    ('backbone.cls_token', 0),
    ('backbone.mask_token', 0),
    ('backbone.blocks.0.norm1.weight', 1),
    ('backbone.blocks.11.mlp.layers.1.bias', 12),
    ('backbone.norm.weight', 13),
    ('backbone.fc_norm.bias', 13),
    ('neck.mask_token', 13),
    ('neck.pos_embed', 13),
    ('neck.blocks.0.attn.qkv.weight', 13),
    ('cls_head.fc_cls.weight', 13),
])
def test_vit_layer_depth_follows_the_reference_convention(name, layer):
    assert get_layer_id_for_vit(name, 12) == layer
    assert vit_layer_depth(name, 12, 'backbone.') == (layer, 14)
    if name.startswith('backbone.'):
        # Without a prefix, as a backbone's own get_layer_depth is called.
        assert vit_layer_depth(name[len('backbone.'):], 12) == (layer, 14)


@pytest.mark.parametrize('build', [
    lambda: _recognizer(dict(VIT, use_learnable_pos_emb=True)),
    lambda: _recognizer(dict(MME, use_learnable_pos_emb=True)),
    lambda: MODELS.build(TINY_MME),
], ids=['vit-recognizer', 'mme-recognizer', 'mme-pretrainer'])
def test_every_parameter_gets_mmaction2s_vit_layer(build):
    """Constructor and encoder agree with MMAction2's rule on every name:
    backbone, tokens, and a pre-trainer's decoder (mask_token,
    encoder_to_decoder) and heads."""
    model = _with_tokens(build())
    depth = len(model.backbone.blocks)
    settings = _settings(build_optim_wrapper(model, _cfg()), model)
    names = [name for name, _ in model.named_parameters()]
    assert {'backbone.cls_token', 'backbone.mask_token'} <= set(names)
    for name in names:
        layer = get_layer_id_for_vit(name, depth)
        assert settings[name][0] == pytest.approx(
            LR * RATE**(depth + 1 - layer), rel=1e-12), name
        if hasattr(model.backbone, 'get_layer_depth'):
            assert model.backbone.get_layer_depth(name, 'backbone.') == (
                layer, depth + 2), name


def test_frozen_backbone_optimises_only_the_head():
    model = _recognizer(VIT)
    model.backbone.requires_grad_(False)
    wrapper = build_optim_wrapper(model, _cfg())
    assert _settings(wrapper, model) == _expected({
        'cls_head.fc_cls.weight': (1., True),
        'cls_head.fc_cls.bias': (1., False)
    })


def test_no_decay_names_extend_the_defaults():
    model = _recognizer(VIT)
    model.cls_head.register_parameter('prompt',
                                      nn.Parameter(torch.zeros(2, 24)))
    plain = _settings(build_optim_wrapper(model, _cfg()), model)
    assert plain['cls_head.prompt'] == (LR, WD)
    named = _settings(
        build_optim_wrapper(model, _cfg(no_decay_names=['prompt'])), model)
    assert named['cls_head.prompt'] == (LR, 0.)
    assert named['backbone.blocks.0.attn.qkv.weight'] == (LR * 0.25, WD)


def test_without_optimizer_weight_decay_the_default_applies():
    model = _recognizer(VIT)
    cfg = _cfg()
    del cfg['optimizer']['weight_decay']
    wrapper = build_optim_wrapper(model, cfg)
    settings = _settings(wrapper, model)
    # AdamW's default weight decay is 0.01.
    assert settings['cls_head.fc_cls.weight'] == (LR, 0.01)
    assert settings['cls_head.fc_cls.bias'] == (LR, 0.)
    assert settings['backbone.blocks.0.attn.qkv.weight'] == (LR * 0.25, 0.01)


class _Model(BaseModel):
    """A model around any backbone, with a linear head."""

    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone
        self.cls_head = nn.Linear(4, 2)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.cls_head(self.backbone(inputs))


def test_backbone_get_layer_depth_is_used():
    """Any backbone with ``get_layer_depth`` works, whatever its class."""

    class TwoLayers(nn.Module):

        def __init__(self):
            super().__init__()
            self.stem = nn.Linear(4, 4)
            self.top = nn.Linear(4, 4)

        def get_layer_depth(self, param_name, prefix=''):
            # Stem 0, top 1 of 3 layers. Names outside the backbone get 0
            # here: the constructor, not the backbone, puts the head last.
            return int(param_name.startswith(f'{prefix}top')), 3

    model = _Model(TwoLayers())
    wrapper = build_optim_wrapper(model, _cfg())
    assert _settings(wrapper, model) == _expected({
        'backbone.stem.weight': (0.25, True),
        'backbone.stem.bias': (0.25, False),
        'backbone.top.weight': (0.5, True),
        'backbone.top.bias': (0.5, False),
        'cls_head.weight': (1., True),
        'cls_head.bias': (1., False),
    })


def test_unsupported_backbone_raises_type_error():
    model = _Model(nn.Sequential(nn.Linear(4, 4)))
    with pytest.raises(TypeError, match='get_layer_depth.*blocks'):
        build_optim_wrapper(model, _cfg())
    with pytest.raises(TypeError, match='got NoneType as `Linear.backbone`'):
        build_optim_wrapper(nn.Linear(4, 2), _cfg())


@pytest.mark.parametrize('paramwise, message', [
    (dict(), 'layer_decay_rate'),
    (dict(decay_rate=0.75), 'unknown paramwise_cfg keys'),
    (dict(layer_decay_rate=0.), r'\(0, 1\]'),
    (dict(layer_decay_rate=1.5), r'\(0, 1\]'),
])
def test_bad_paramwise_cfg_raises(paramwise, message):
    cfg = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=LR))
    with pytest.raises(ValueError, match=message):
        LayerDecayOptimWrapperConstructor(cfg, paramwise)


def _check_one_adamw_step(model: nn.Module, wrapper: OptimWrapper) -> None:
    """A step follows AdamW's first update with each group's lr and decay.

    After one step Adam's moments are g and g^2, so
    p1 = p0 * (1 - lr * wd) - lr * g / (|g| + eps).
    """
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    device = next(model.parameters()).device
    generator = torch.Generator().manual_seed(0)
    clips = torch.randint(0, 256, (2, 1, 3, 4, 32, 32), generator=generator,
                          dtype=torch.uint8)
    with wrapper.optim_context(model):
        inputs = model.data_preprocessor(
            dict(inputs=list(clips.to(device)), data_samples=None),
            True)['inputs']
        features, _ = model.extract_feat(inputs)
        scores = model.cls_head(features)
    # MMAction2's head loss converts bf16 scores to numpy (top-k accuracy),
    # which numpy cannot: the loss is computed here instead.
    loss = F.cross_entropy(scores.float(), torch.tensor([0, 2],
                                                        device=device))
    wrapper.backward(loss)
    wrapper.step()
    settings = _settings(wrapper, model)
    eps = wrapper.optimizer.defaults['eps']
    for name, param in model.named_parameters():
        lr, wd = settings[name]
        grad = param.grad.float()
        expected = (before[name] * (1 - lr * wd) - lr * grad /
                    (grad.abs() + eps))
        torch.testing.assert_close(
            param.detach(), expected, rtol=0, atol=1e-7, msg=name)
        assert not torch.equal(param.detach(), before[name]), name


@pytest.mark.parametrize('wrapper_type',
                         ['OptimWrapper', 'MixedPrecisionOptimWrapper'])
def test_one_training_step(wrapper_type, monkeypatch):
    # The CPU path of MixedPrecisionOptimWrapper on any host.
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    model = _recognizer(MME)
    wrapper = build_optim_wrapper(model, _cfg(wrapper_type))
    assert type(wrapper).__name__ == wrapper_type
    _check_one_adamw_step(model, wrapper)


@pytest.mark.parametrize('scheduler, factors', [
    # Active for steps 0, 1, 2 (end is exclusive): linear from 0.25 to 1
    # over 2 steps; cosine from 1 to 0.01, (1 + 0.01) / 2 half-way.
    (dict(type=LinearLR, start_factor=0.25, end=3), [0.25, 0.625, 1.]),
    (dict(type=CosineAnnealingLR, eta_min_ratio=0.01, T_max=2, end=3),
     [1., 0.505, 0.01]),
])
def test_schedulers_keep_the_layer_ratios(scheduler, factors):
    model = _recognizer(VIT)
    wrapper = build_optim_wrapper(model, _cfg())
    kwargs = dict(scheduler)
    sched = kwargs.pop('type')(wrapper, by_epoch=False, begin=0, **kwargs)
    groups = wrapper.optimizer.param_groups
    for step, factor in enumerate(factors):
        if step:
            wrapper.step()  # no gradients: only the lr changes
            sched.step()
        for group in groups:
            assert group['initial_lr'] == pytest.approx(LR * group['lr_scale'])
            assert group['lr'] == pytest.approx(
                LR * group['lr_scale'] * factor, rel=1e-9)
        # The base lr mmengine logs follows the same schedule.
        assert wrapper.get_lr()['base_lr'] == [pytest.approx(LR * factor)]

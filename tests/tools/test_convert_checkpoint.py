"""tools/convert_checkpoint.py and mme_mmaction.checkpoints:
checkpoints written by hand with the key names of docs/method.md §9, from
tiny models, and the toy's as our Runner saves it; destinations that cannot
be written."""
import argparse
import errno
import importlib.util
import io
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmaction.models.backbones.vit_mae import (VisionTransformer,
                                               get_sinusoid_encoding)
from mmaction.registry import MODELS
from mmengine.config import Config
from mmengine.runner.checkpoint import save_checkpoint
from torch import nn

from mme_mmaction.checkpoints import (convert_state_dict, extract_state_dict,
                                      infer_grid, stored_clip)
from mme_mmaction.models import (MaskedMotionEncoder, MaskedRegressionHead,
                                 MMEDecoder)
from mme_mmaction.models.utils import resample_pos_embed

from tiny_models import TINY_MME

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / 'tools/convert_checkpoint.py'
# The tool's process imports this tree, not an installed copy.
SOURCE_TREE = dict(os.environ, PYTHONPATH=str(ROOT))
# 4 frames of 32 x 32 in 2 x 16 x 16 tubelets: a 2 x 2 x 2 token grid.
GRID = (2, 2, 2)
VIT = dict(embed_dims=48, depth=2, num_heads=3, img_size=32, num_frames=4)
# The paper gives no names for the release's prediction MLPs
# (docs/method.md §9): made-up ones, found by their shapes. VideoMAE's pixel
# head has no counterpart in MME.
RELEASE_HEADS = dict(traj_pred='head_traj.', hog_pred='head_hog.')
PIXEL_HEAD = 'head.weight'


def load_tool():
    spec = importlib.util.spec_from_file_location('convert_checkpoint', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def randomized(module, seed):
    """``module`` with every parameter drawn at random (norms included)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in module.parameters():
            param.copy_(0.2 * torch.randn(param.shape, generator=generator))
    return module.eval()


def release_name(name):
    """The VideoMAE / release name of an MMAction2 ViT parameter."""
    return (name.replace('patch_embed.projection.', 'patch_embed.proj.')
            .replace('mlp.layers.0.0.', 'mlp.fc1.')
            .replace('mlp.layers.1.', 'mlp.fc2.'))


def tiny_encoder(seed=0, **kwargs):
    return randomized(VisionTransformer(**VIT, **kwargs), seed)


def release_pretrain(encoder, decoder, heads, decoder_prefix='decoder.0.',
                     projection='encoder_to_decoder.0.weight',
                     head_names=RELEASE_HEADS, pixel_head=True):
    """A release pre-training checkpoint: ``ckpt['model']``, no pos_embed.

    ``heads`` (:func:`release_heads`) gives the prediction MLPs, stored
    under ``head_names``; ``pixel_head`` adds VideoMAE's pixel head.
    """
    model = {
        'encoder.' + release_name(k): v
        for k, v in encoder.state_dict().items() if k != 'pos_embed'
    }
    model.update({
        decoder_prefix + release_name(k): v
        for k, v in decoder.state_dict().items()
        if k.startswith(('blocks.', 'norm.'))
    })
    model[projection] = decoder.encoder_to_decoder.weight
    model['mask_token'] = decoder.mask_token
    if pixel_head:
        model[decoder_prefix + PIXEL_HEAD] = torch.randn(1536, 24)
    for ours, name in head_names.items():
        model.update({name + k: v
                      for k, v in getattr(heads, ours).state_dict().items()})
    return {'model': model, 'epoch': 400}


@pytest.fixture(scope='module')
def pretrain_parts():
    encoder = tiny_encoder(use_mean_pooling=False)  # a random final norm
    decoder = randomized(
        MMEDecoder(num_tokens=8, in_channels=48, embed_dims=24, num_heads=3),
        1)
    heads = randomized(release_heads(*(
        MaskedRegressionHead(in_channels=24, out_channels=width,
                             hidden_channels=32) for width in (32, 108))), 5)
    return encoder, decoder, heads


def release_heads(traj_head, hog_head):
    """The release's two prediction MLPs (named as RELEASE_HEADS' keys) of
    our trajectory and HOG heads."""
    return nn.ModuleDict(dict(traj_pred=traj_head.pred,
                              hog_pred=hog_head.pred))


def mme_predictions(model, x, mask):
    """(trajectory, HOG) predictions of an MME model's masked tokens."""
    features = model.neck(model.backbone(x, mask), mask)
    return model.motion_head(features), model.head(features)


def recognizer_cfg(num_frames=4, img_size=32, **backbone):
    vit = dict(VIT, num_frames=num_frames, img_size=img_size, **backbone)
    return dict(type='Recognizer3D',
                backbone=dict(type='VisionTransformer', **vit),
                cls_head=dict(type='TimeSformerHead', num_classes=5,
                              in_channels=48),
                data_preprocessor=dict(type='ActionDataPreprocessor',
                                       format_shape='NCTHW'))


def recognizer(num_frames=4, img_size=32, **backbone):
    return MODELS.build(recognizer_cfg(num_frames, img_size,
                                       **backbone)).eval()


def assert_features_equal(ours, theirs):
    assert ours.shape == theirs.shape
    assert (ours - theirs).norm() <= 1e-5 * theirs.norm()


@pytest.mark.parametrize('decoder_prefix,projection', [
    ('decoder.0.', 'encoder_to_decoder.0.weight'),  # docs/method.md §9
    ('decoder.', 'encoder_to_decoder.weight'),  # VideoMAE
])
def test_release_pretraining_checkpoint_to_mme(pretrain_parts, decoder_prefix,
                                               projection):
    encoder, decoder, heads = pretrain_parts
    ckpt = release_pretrain(encoder, decoder, heads, decoder_prefix,
                            projection)
    state, report = convert_state_dict(
        extract_state_dict(ckpt), 'mme', token_grid=GRID)
    model = MODELS.build(TINY_MME)
    model.load_state_dict(state, strict=True)
    for part, source in (('backbone', encoder), ('neck', decoder),
                         ('motion_head.pred', heads.traj_pred),
                         ('head.pred', heads.hog_pred)):
        for name, value in source.state_dict().items():
            torch.testing.assert_close(
                model.state_dict()[f'{part}.{name}'], value, rtol=0, atol=0)
    assert report.source_format == 'videomae_pretrain'
    assert report.unmapped == [decoder_prefix + PIXEL_HEAD]
    assert report.dropped == []
    assert report.missing is None  # no target model given
    assert 'sinusoid' in report.pos_embed
    torch.testing.assert_close(state['backbone.pos_embed'],
                               get_sinusoid_encoding(8, 48))


def test_pretraining_checkpoint_gives_the_same_features_in_ours_and_stock(
        pretrain_parts):
    encoder, decoder, heads = pretrain_parts
    state = extract_state_dict(release_pretrain(encoder, decoder, heads))
    mme_state, _ = convert_state_dict(state, 'mme', token_grid=GRID)
    rec_state, report = convert_state_dict(state, 'recognizer',
                                           token_grid=GRID)
    assert report.unmapped == []
    assert 'encoder.norm.weight' in report.dropped
    assert 'mask_token' in report.dropped
    assert set(report.dropped) == {
        key for key in state if not key.startswith('encoder.')
    } | {'encoder.norm.weight', 'encoder.norm.bias'}
    model = recognizer()
    result = model.load_state_dict(rec_state, strict=False)
    assert result.unexpected_keys == []
    assert sorted(result.missing_keys) == [
        'backbone.fc_norm.bias', 'backbone.fc_norm.weight',
        'cls_head.fc_cls.bias', 'cls_head.fc_cls.weight'
    ]
    mme = MODELS.build(TINY_MME)
    mme.load_state_dict(mme_state, strict=False)
    # Fine-tuning: mean pooling, a fresh fc_norm (the same in both).
    ours = MaskedMotionEncoder(
        arch=dict(embed_dims=48, depth=2, num_heads=3), img_size=32,
        num_frames=4).eval()
    backbone_state = {
        k[len('backbone.'):]: v
        for k, v in mme_state.items() if k.startswith('backbone.')
    }
    assert ours.load_state_dict(
        backbone_state, strict=False).unexpected_keys == ['norm.weight',
                                                          'norm.bias']
    x = torch.randn(2, 3, 4, 32, 32)
    with torch.no_grad():
        assert_features_equal(ours(x), model.backbone(x))
        model.backbone.return_feat_map = ours.return_feat_map = True
        assert_features_equal(ours(x), model.backbone(x))
        # Without mean pooling (and with the final norm) too.
        stock = VisionTransformer(**VIT, use_mean_pooling=False,
                                  return_feat_map=True).eval()
        kept, _ = convert_state_dict(state, 'recognizer', token_grid=GRID,
                                     keep_norm=True)
        stock.load_state_dict({
            k[len('backbone.'):]: v
            for k, v in kept.items() if k.startswith('backbone.')
        })
        mme.backbone.return_feat_map = True
        assert_features_equal(mme.backbone(x), stock(x))


def test_deepspeed_finetuned_checkpoint_to_recognizer_keeps_the_logits():
    encoder = tiny_encoder(seed=2)  # with mean pooling and fc_norm
    head = randomized(nn.Linear(48, 5), 3)
    module = {release_name(k): v for k, v in encoder.state_dict().items()
              if k != 'pos_embed'}
    module.update({'head.weight': head.weight, 'head.bias': head.bias})
    model = recognizer()
    state, report = convert_state_dict(
        extract_state_dict({'module': module}), 'recognizer',
        token_grid=GRID, expected=model.state_dict())
    assert (report.source_format, report.unmapped, report.dropped,
            report.missing, report.unexpected) == (
                'videomae_finetune', [], [], [], [])
    model.load_state_dict(state, strict=True)
    x = torch.randn(2, 1, 3, 4, 32, 32)
    with torch.no_grad():
        logits = model(x, mode='tensor', stage='head')
        expected = head(encoder(x[:, 0]))
    torch.testing.assert_close(logits, expected, rtol=1e-5, atol=1e-6)


def test_resampled_position_table_shapes_and_identity():
    table = torch.randn(1, 8, 6)
    assert resample_pos_embed(table, GRID, (4, 3, 3)).shape == (1, 36, 6)
    assert resample_pos_embed(table, GRID, (2, 3, 3)).shape == (1, 18, 6)
    assert resample_pos_embed(table, GRID, GRID) is table
    with pytest.raises(ValueError, match='does not fit'):
        resample_pos_embed(table, (4, 2, 2), GRID)


def test_position_table_is_linear_in_time():
    table = torch.randn(1, 8, 6)
    slices = table.reshape(2, 4, 6)
    # 2 -> 4 time steps, align_corners=False: sources at -1/4, 1/4, 3/4,
    # 5/4, clamped at the ends.
    out = resample_pos_embed(table, GRID, (4, 2, 2)).reshape(4, 4, 6)
    torch.testing.assert_close(out[0], slices[0])
    torch.testing.assert_close(out[1], 0.75 * slices[0] + 0.25 * slices[1])
    torch.testing.assert_close(out[2], 0.25 * slices[0] + 0.75 * slices[1])
    torch.testing.assert_close(out[3], slices[1])
    # 2 -> 3: the middle step is the midpoint.
    out = resample_pos_embed(table, GRID, (3, 2, 2)).reshape(3, 4, 6)
    torch.testing.assert_close(out[1], (slices[0] + slices[1]) / 2)


def test_resampling_matches_the_encoder_and_the_stock_backbone():
    ours = MaskedMotionEncoder(
        arch=dict(embed_dims=48, depth=2, num_heads=3), img_size=32,
        num_frames=4)
    torch.testing.assert_close(
        resample_pos_embed(ours.pos_embed, GRID, (4, 3, 3)),
        ours._pos_embed((4, 3, 3)))
    stock = VisionTransformer(**VIT, return_feat_map=True).eval()
    wide = VisionTransformer(**dict(VIT, img_size=48),
                             return_feat_map=True).eval()
    wide.load_state_dict({
        **stock.state_dict(), 'pos_embed':
        resample_pos_embed(stock.pos_embed, GRID, (2, 3, 3))
    })
    x = torch.randn(1, 3, 4, 48, 48)
    with torch.no_grad():
        torch.testing.assert_close(wide(x), stock(x))


def test_grid_of_a_source_table_is_inferred_or_asked_for():
    assert infer_grid(8, (2, 2, 2)) == (2, 2, 2)
    assert infer_grid(8, (4, 2, 2)) == (2, 2, 2)
    assert infer_grid(1568, (16, 7, 7)) == (32, 7, 7)
    with pytest.raises(ValueError, match='src_grid'):
        infer_grid(1568, (8, 7, 7))  # (32, 7, 7) or (8, 14, 14)?


def test_our_mme_checkpoint_to_a_recognizer_at_8_frames_and_48_px():
    mme = randomized(MODELS.build(TINY_MME), 4)
    source = mme.state_dict()
    model = recognizer(num_frames=8, img_size=48)
    with pytest.raises(ValueError, match='src_grid'):  # (8, 1, 1) too
        convert_state_dict(source, 'recognizer', token_grid=(4, 3, 3))
    state, report = convert_state_dict(
        source, 'recognizer', token_grid=(4, 3, 3), src_grid=GRID,
        expected=model.state_dict())
    assert report.source_format == 'mmaction'
    assert report.unmapped == []
    assert set(report.dropped) == {
        k for k in source
        if k.startswith(('neck.', 'head.', 'motion_head.', 'backbone.norm.'))
    }
    assert report.missing == [
        'backbone.fc_norm.bias', 'backbone.fc_norm.weight',
        'cls_head.fc_cls.bias', 'cls_head.fc_cls.weight'
    ]
    assert report.unexpected == []
    assert 'resampled' in report.pos_embed
    model.load_state_dict(state, strict=False)
    torch.testing.assert_close(
        model.backbone.pos_embed,
        resample_pos_embed(source['backbone.pos_embed'], GRID, (4, 3, 3)))
    with torch.no_grad():
        logits = model(torch.randn(2, 1, 3, 8, 48, 48), mode='tensor',
                       stage='head')
    assert logits.shape == (2, 5) and torch.isfinite(logits).all()


def test_cli_prints_unmapped_keys_and_strict_fails(pretrain_parts, tmp_path):
    src, dst = tmp_path / 'release.pth', tmp_path / 'mme.pth'
    torch.save(release_pretrain(*pretrain_parts), src)
    # One process only: importing the stack takes seconds.
    done = subprocess.run(
        [sys.executable, str(TOOL), str(src), str(dst), '--to', 'mme',
         '--num-frames', '4', '--img-size', '32', '--strict'],
        capture_output=True, text=True, cwd=ROOT, env=SOURCE_TREE)
    assert done.returncode == 1
    assert 'unmapped (1):\n  decoder.0.head.weight\n' in done.stdout
    assert 'not written' in done.stderr and not dst.exists()
    code = load_tool().main([str(src), str(dst), '--to', 'mme',
                             '--num-frames', '4', '--img-size', '32'])
    assert code == 0
    ckpt = torch.load(dst, map_location='cpu', weights_only=True)
    assert ckpt['meta']['token_grid'] == GRID
    assert ckpt['meta']['unmapped'] == ['decoder.0.head.weight']
    assert ckpt['state_dict']['backbone.pos_embed'].shape == (1, 8, 48)
    # Written atomically: no temporary left.
    assert sorted(os.listdir(tmp_path)) == ['mme.pth', 'release.pth']


def test_cli_with_a_config_lists_what_the_model_misses(pretrain_parts,
                                                       tmp_path, capsys):
    src, config = tmp_path / 'release.pth', tmp_path / 'tiny_mme.py'
    torch.save(release_pretrain(*pretrain_parts), src)
    Config(dict(model=TINY_MME)).dump(config)
    tool = load_tool()
    # The grid comes from the config (2 x 2 x 2), not the 16 x 224 defaults.
    code = tool.main([str(src), str(tmp_path / 'out.pth'), '--to', 'mme',
                      '--config', str(config)])
    out = capsys.readouterr().out
    assert code == 0
    assert 'missing (0)' in out and 'unexpected (0)' in out
    with pytest.raises(SystemExit, match='--num-frames 16.*token grid'):
        tool.main([str(src), str(tmp_path / 'out.pth'), '--to', 'mme',
                   '--config', str(config), '--num-frames', '16'])


def test_converted_release_checkpoint_predicts_like_the_original(tmp_path):
    """Release layout out of a model, converted back: the same masked
    predictions, and the strict load a continued pre-training needs."""
    original = randomized(MODELS.build(TINY_MME), 6)
    ckpt = release_pretrain(original.backbone, original.neck,
                            release_heads(original.motion_head,
                                          original.head), pixel_head=False)
    ckpt['args'] = argparse.Namespace(model='pretrain_mme_base', lr=1.5e-4)
    src, dst = tmp_path / 'release.pth', tmp_path / 'mme.pth'
    torch.save(ckpt, src)
    config = tmp_path / 'tiny_mme.py'
    Config(dict(model=TINY_MME)).dump(config)
    assert load_tool().main([str(src), str(dst), '--to', 'mme', '--config',
                             str(config), '--strict', '--trust-source']) == 0
    converted = MODELS.build(TINY_MME)
    converted.load_state_dict(
        torch.load(dst, weights_only=True)['state_dict'], strict=True)
    x = torch.randn(2, 3, 4, 32, 32)
    mask = torch.tensor([[1, 0, 1, 1] * 2, [0, 1, 1, 1] * 2]).bool()
    with torch.no_grad():
        expected = mme_predictions(original, x, mask)
        got = mme_predictions(converted.eval(), x, mask)
    for ours, theirs in zip(got, expected):
        assert (ours - theirs).norm() <= 1e-4 * theirs.norm()


def test_two_candidate_heads_of_one_kind_stay_unmapped(pretrain_parts):
    encoder, decoder, heads = pretrain_parts
    ckpt = release_pretrain(encoder, decoder, heads, pixel_head=False)
    ckpt['model'].update({'head_traj_2.' + k: v for k, v in
                          heads.traj_pred.state_dict().items()})
    state, report = convert_state_dict(ckpt['model'], 'mme', token_grid=GRID)
    assert [k for k in state if k.startswith('motion_head.')] == []
    assert sorted(k for k in state if k.startswith('head.')) == [
        f'head.pred.{p}' for p in ('0.bias', '0.weight', '2.bias',
                                   '2.weight')]
    assert len(report.unmapped) == 8 and all(
        k.startswith(('head_traj.', 'head_traj_2.')) for k in report.unmapped)


def test_a_release_checkpoint_needs_trust_source(pretrain_parts, tmp_path):
    ckpt = release_pretrain(*pretrain_parts)
    ckpt['args'] = argparse.Namespace(model='pretrain_mme_base')
    src, dst = tmp_path / 'release.pth', tmp_path / 'mme.pth'
    torch.save(ckpt, src)
    tool = load_tool()
    with pytest.raises(SystemExit) as refused:
        tool.main([str(src), str(dst), '--to', 'recognizer'])
    message = str(refused.value)
    assert 'argparse.Namespace' in message and '--trust-source' in message
    assert not dst.exists()
    assert tool.main([str(src), str(dst), '--to', 'recognizer',
                      '--trust-source']) == 0
    assert 'backbone.blocks.0.attn.qkv.weight' in torch.load(
        dst, weights_only=True)['state_dict']


def test_the_converter_never_overwrites_its_source(pretrain_parts, tmp_path):
    src = tmp_path / 'ckpt.pth'
    torch.save(release_pretrain(*pretrain_parts), src)
    before = src.read_bytes()
    tool = load_tool()
    for dst in (src, tmp_path / '.' / 'ckpt.pth'):
        with pytest.raises(SystemExit, match='DST is SRC'):
            tool.main([str(src), str(dst), '--to', 'recognizer'])
    assert src.read_bytes() == before


def _not_checkpoints(tmp_path):
    (tmp_path / 'notes.pth').write_text('epoch 3 was the best\n')
    (tmp_path / 'empty.pth').write_bytes(b'')
    torch.save(torch.zeros(3), tmp_path / 'tensor.pth')
    with open(tmp_path / 'array.pth', 'wb') as f:
        import numpy as np
        np.save(f, np.zeros(3))
    return {'notes.pth': "is a text file, not a PyTorch checkpoint (it "
            "starts with 'epoch 3 was the best\\n')",
            'empty.pth': 'is empty (0 bytes)',
            'tensor.pth': 'holds a Tensor, not a checkpoint dict',
            'array.pth': 'not a PyTorch checkpoint',
            'missing.pth': 'no such file'}


def test_a_file_that_is_no_checkpoint_gives_one_clear_line(tmp_path):
    tool = load_tool()
    for name, problem in _not_checkpoints(tmp_path).items():
        for trust in ([], ['--trust-source']):
            with pytest.raises(SystemExit) as error:
                tool.main([str(tmp_path / name), str(tmp_path / 'out.pth'),
                           '--to', 'recognizer'] + trust)
            message = str(error.value)
            assert message.startswith(f'error: {tmp_path / name}')
            assert problem in message and '\n' not in message, message
    assert not (tmp_path / 'out.pth').exists()


@pytest.mark.parametrize('method', ['motionmae', 'mam2'])
def test_sibling_checkpoints_give_recognizers_their_encoder_only(
        method, tmp_path):
    from tiny_models import TINY_MOTIONMAE, tiny_mam2
    from vqgan_checkpoints import save_random_vqgan
    if method == 'mam2':
        save_random_vqgan(tmp_path / 'vq.ckpt')
        cfg = tiny_mam2(str(tmp_path / 'vq.ckpt'))
    else:
        cfg = TINY_MOTIONMAE
    state = randomized(MODELS.build(cfg), 7).state_dict()
    converted, report = convert_state_dict(state, 'recognizer',
                                           token_grid=(2, 2, 2))
    assert report.unmapped == []
    assert {k.split('.')[0] for k in report.dropped} >= (
        {'neck', 'motion_head', 'target_generator', 'regressor'}
        if method == 'mam2' else {'neck', 'motion_neck', 'head'})
    encoder = {k: v for k, v in state.items()
               if k.startswith('backbone.') and not k.startswith(
                   ('backbone.norm.', 'backbone.pos_embed'))}
    assert encoder and all(torch.equal(converted[k], v)
                           for k, v in encoder.items())
    assert not any(k.startswith(('neck', 'head', 'regressor', 'motion',
                                 'target')) for k in converted)


TOY_PRETRAIN = ROOT / 'configs/mme/vit-tiny_toy.py'
TOY_RECOGNIZER = ROOT / 'configs/recognition/vit-tiny_mme-pre_toy.py'


@pytest.fixture(scope='module')
def toy_checkpoint(tmp_path_factory):
    """The toy pre-training's checkpoint as our Runner saves it: 8 x 64 x
    64 clips, a 4 x 4 x 4 grid, its config's text in ``meta['cfg']``."""
    cfg = Config.fromfile(TOY_PRETRAIN)
    path = tmp_path_factory.mktemp('toy') / 'epoch_30.pth'
    save_checkpoint(
        {'meta': dict(cfg=cfg.pretty_text, epoch=30, iter=150),
         'state_dict': randomized(MODELS.build(cfg.model), 8).state_dict()},
        str(path))
    return path


def toy_recognizer(checkpoint, **backbone):
    """The stock toy recognizer config, initialised from ``checkpoint``."""
    cfg = Config.fromfile(TOY_RECOGNIZER)
    cfg.model.backbone.update(backbone)
    cfg.model.backbone.init_cfg.checkpoint = str(checkpoint)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def test_the_toy_checkpoint_converts_without_config(toy_checkpoint,
                                                    tmp_path, capsys):
    dst = tmp_path / 'toy_recognizer.pth'
    assert load_tool().main([str(toy_checkpoint), str(dst), '--to',
                             'recognizer']) == 0
    out = capsys.readouterr().out
    assert ("source token grid: (4, 4, 4), 8 x 64 x 64 clips, 2 x 16 x 16 "
            "tubelets, from the checkpoint's config (meta['cfg'])\n") in out
    assert "target token grid: (4, 4, 4), the source's\n" in out
    assert 'differs' not in out and 'resampled' not in out
    converted = torch.load(dst, weights_only=True)['state_dict']
    # The stock recognizer config takes all of it through its init_cfg (a
    # shape error would leave a tensor as initialised); only the new norm
    # and head miss.
    model = toy_recognizer(dst)
    stock = model.state_dict()
    assert set(stock) - set(converted) == {
        'backbone.fc_norm.weight', 'backbone.fc_norm.bias',
        'cls_head.fc_cls.weight', 'cls_head.fc_cls.bias'
    }
    assert set(converted) <= set(stock)
    for key, value in converted.items():
        assert torch.equal(stock[key], value), key


def test_another_clip_size_is_said_and_the_table_resampled(toy_checkpoint,
                                                           tmp_path, capsys):
    tool = load_tool()
    longer, again = tmp_path / 'toy_16.pth', tmp_path / 'toy_16_again.pth'
    assert tool.main([str(toy_checkpoint), str(longer), '--to', 'recognizer',
                      '--num-frames', '16']) == 0
    out = capsys.readouterr().out
    assert ('target token grid: (8, 4, 4), 16 x 64 x 64 clips, 2 x 16 x 16 '
            "tubelets, from --num-frames 16, the other sizes the source's\n"
            ) in out
    assert ('backbone.pos_embed: resampled: the target token grid (8, 4, 4) '
            "differs from the source's (4, 4, 4)\n") in out
    source = torch.load(toy_checkpoint, weights_only=True)['state_dict']
    table = torch.load(longer, weights_only=True)['state_dict'][
        'backbone.pos_embed']
    torch.testing.assert_close(
        table, resample_pos_embed(source['backbone.pos_embed'], (4, 4, 4),
                                  (8, 4, 4)), rtol=0, atol=0)
    # A converted checkpoint stores its grid: converted again, it is kept.
    assert tool.main([str(longer), str(again), '--to', 'recognizer']) == 0
    out = capsys.readouterr().out
    assert ('source token grid: (8, 4, 4), 16 x 64 x 64 clips, 2 x 16 x 16 '
            "tubelets, from the checkpoint's meta['token_grid']\n") in out
    assert "backbone.pos_embed: copied: the token grid (8, 4, 4) is the " \
        "source's\n" in out
    model = toy_recognizer(again, num_frames=16)
    assert torch.equal(model.backbone.pos_embed, table)


def test_a_stored_config_is_read_not_run(toy_checkpoint, tmp_path):
    ckpt = torch.load(toy_checkpoint, weights_only=True)
    state = ckpt['state_dict']
    flag = tmp_path / 'ran'
    ckpt['meta']['cfg'] = (f'open({str(flag)!r}, "w")\n' +
                           ckpt['meta']['cfg'])
    clip, origin = stored_clip(ckpt, state)
    assert (clip.grid, origin) == ((4, 4, 4),
                                   "the checkpoint's config (meta['cfg'])")
    assert not flag.exists()
    # A config that does not fit the table is passed over.
    ckpt['meta']['cfg'] = 'model = dict(backbone=dict(num_frames=16, ' \
        'img_size=64))'
    assert stored_clip(ckpt, state) is None


def test_cli_errors_name_flags_not_python_arguments(tmp_path):
    """A 1568-token table for 8 x 7 x 7 targets: 32 x 7 x 7 or 8 x 14 x
    14; the checkpoint stores no grid."""
    src, dst = tmp_path / 'vit.pth', tmp_path / 'out.pth'
    torch.save({'state_dict': {
        'backbone.pos_embed': torch.randn(1, 1568, 48),
        'backbone.patch_embed.projection.weight': torch.randn(
            48, 3, 2, 16, 16)
    }}, src)
    tool = load_tool()
    with pytest.raises(SystemExit) as error:
        tool.main([str(src), str(dst), '--to', 'recognizer', '--img-size',
                   '112'])
    message = str(error.value)
    assert message.startswith(f'error: {src}: cannot tell the token grid')
    assert '--src-num-frames' in message and '--src-img-size' in message
    assert 'src_grid' not in message and '\n' not in message
    assert not dst.exists()
    assert tool.main([str(src), str(dst), '--to', 'recognizer', '--img-size',
                      '112', '--src-img-size', '224']) == 0
    assert torch.load(dst, weights_only=True)['state_dict'][
        'backbone.pos_embed'].shape == (1, 392, 48)


def test_strict_fails_on_keys_the_model_misses(pretrain_parts, tmp_path,
                                               capsys):
    config = tmp_path / 'recognizer.py'
    Config(dict(model=recognizer_cfg())).dump(config)
    src, dst = tmp_path / 'release.pth', tmp_path / 'out.pth'
    torch.save(release_pretrain(*pretrain_parts), src)
    tool = load_tool()
    # A pre-training encoder leaves only what fine-tuning initialises.
    assert tool.main([str(src), str(dst), '--to', 'recognizer', '--config',
                      str(config), '--strict']) == 0
    assert 'missing (4)' in capsys.readouterr().out
    # An encoder weight the model needs is a failure.
    checkpoint = release_pretrain(*pretrain_parts)
    del checkpoint['model']['encoder.blocks.0.mlp.fc1.weight']
    torch.save(checkpoint, src)
    dst.unlink()
    assert tool.main([str(src), str(dst), '--to', 'recognizer', '--config',
                      str(config), '--strict']) == 1
    err = capsys.readouterr().err
    assert err == (
        'error: --strict: 1 missing key (backbone.blocks.0.mlp.layers.0.0.'
        f'weight); {dst} was not written.\n')
    assert not dst.exists()
    # A fine-tuned checkpoint initialises the whole recognizer.
    encoder, head = tiny_encoder(seed=2), randomized(nn.Linear(48, 5), 3)
    module = {release_name(k): v for k, v in encoder.state_dict().items()
              if k != 'pos_embed'}
    module.update({'head.weight': head.weight, 'head.bias': head.bias})
    torch.save({'module': module}, src)
    assert tool.main([str(src), str(dst), '--to', 'recognizer', '--config',
                      str(config), '--strict']) == 0


@pytest.fixture
def conversion(pretrain_parts, tmp_path):
    """A release checkpoint in ``tmp_path/src`` and the tool's arguments
    but DST; ``tmp_path/dst`` holds an older DST."""
    (tmp_path / 'src').mkdir()
    (tmp_path / 'dst').mkdir()
    src = tmp_path / 'src' / 'release.pth'
    torch.save(release_pretrain(*pretrain_parts), src)
    (tmp_path / 'dst' / 'old.pth').write_bytes(b'an older conversion')
    return [str(src), '--to', 'recognizer', '--num-frames', '4',
            '--img-size', '32']


def assert_one_line_and_nothing_written(error, dst, what, folder):
    """The tool exited with one line naming DST; ``folder`` holds the older
    DST, as it was, and nothing else."""
    message = str(error.value)
    assert message.startswith(f'error: {dst}: {what}'), message
    assert message.endswith('.') and '\n' not in message
    assert os.listdir(folder) == ['old.pth']
    assert (folder / 'old.pth').read_bytes() == b'an older conversion'


def test_a_destination_folder_or_a_file_on_its_path_gives_one_line(
        conversion, tmp_path):
    tool = load_tool()
    folder = tmp_path / 'dst'
    with pytest.raises(SystemExit) as error:
        tool.main([conversion[0], str(folder)] + conversion[1:])
    assert str(error.value) == (
        f'error: {folder}: is a folder; name the file to write, e.g. '
        f'{folder / "converted.pth"}.')
    assert os.listdir(folder) == ['old.pth']
    dst = folder / 'old.pth' / 'new.pth'
    with pytest.raises(SystemExit) as error:
        tool.main([conversion[0], str(dst)] + conversion[1:])
    assert_one_line_and_nothing_written(
        error, dst, 'a folder on its path is a file', folder)


@pytest.fixture
def read_only(tmp_path):
    """Makes a folder read-only, for root too (chattr +i); undone after."""
    undo = []

    def make(folder):
        if os.geteuid() != 0:
            folder.chmod(0o555)
            undo.append(lambda: folder.chmod(0o755))
            return
        done = subprocess.run(['chattr', '+i', str(folder)],
                              capture_output=True)
        if done.returncode != 0:
            pytest.skip('root cannot make a folder read-only here')
        undo.append(lambda: subprocess.run(['chattr', '-i', str(folder)],
                                           check=True))

    yield make
    for action in undo:
        action()


def test_a_read_only_folder_gives_one_line(conversion, tmp_path, read_only):
    dst = tmp_path / 'dst' / 'old.pth'
    read_only(dst.parent)
    with pytest.raises(SystemExit) as error:
        load_tool().main([conversion[0], str(dst)] + conversion[1:])
    what = 'Operation not permitted' if os.geteuid() == 0 else \
        'Permission denied'
    assert_one_line_and_nothing_written(error, dst, what, dst.parent)
    assert 'a folder you may write to' in str(error.value)


class FullDisk(io.FileIO):
    """A file on a disk that fills up after ``ROOM`` bytes."""

    ROOM = 4096

    def write(self, data):
        if self.tell() + len(data) > self.ROOM:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return super().write(data)


def test_a_full_disk_gives_one_line(conversion, tmp_path, monkeypatch):
    tool = load_tool()
    # The tool's own open(), so that the failure hits the real write.
    monkeypatch.setattr(tool, 'open', FullDisk, raising=False)
    dst = tmp_path / 'dst' / 'old.pth'
    with pytest.raises(SystemExit) as error:
        tool.main([conversion[0], str(dst)] + conversion[1:])
    assert_one_line_and_nothing_written(error, dst,
                                        'No space left on device', dst.parent)
    assert 'free some space' in str(error.value)


def test_a_write_cut_short_by_the_kernel_gives_one_line_and_status_1(
        conversion, tmp_path):
    """A real process whose file size limit stops the write midway (as a
    full disk would): exit status 1, one line on stderr, no traceback."""
    dst = tmp_path / 'dst' / 'old.pth'

    def limit_file_size():
        hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, hard))

    done = subprocess.run(
        [sys.executable, str(TOOL), conversion[0], str(dst)] + conversion[1:],
        capture_output=True, text=True, cwd=ROOT, env=SOURCE_TREE,
        preexec_fn=limit_file_size)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f'error: {dst}: File too large; nothing was written (raise the file '
        'size limit (ulimit -f) or write it to another disk).'
    ]
    assert os.listdir(dst.parent) == ['old.pth']
    assert dst.read_bytes() == b'an older conversion'

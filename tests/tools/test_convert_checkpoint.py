"""tools/convert_checkpoint.py and mme_mmaction.utils.checkpoint_conversion:
checkpoints written by hand with METHOD §9's key names, from tiny models."""
import argparse
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmaction.models.backbones.vit_mae import (VisionTransformer,
                                               get_sinusoid_encoding)
from mmaction.registry import MODELS
from mmengine.config import Config
from torch import nn

from mme_mmaction.models import (MaskedMotionEncoder, MMEDecoder,
                                 MMEPretrainHead)
from mme_mmaction.utils import (convert_state_dict, extract_state_dict,
                                resample_pos_embed)
from mme_mmaction.utils.checkpoint_conversion import infer_grid

from tiny_models import TINY_MME

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / 'tools/convert_checkpoint.py'
# 4 frames of 32 x 32 in 2 x 16 x 16 tubelets: a 2 x 2 x 2 token grid.
GRID = (2, 2, 2)
VIT = dict(embed_dims=48, depth=2, num_heads=3, img_size=32, num_frames=4)
# METHOD gives no names for the release's prediction MLPs: made-up ones,
# found by their shapes. VideoMAE's pixel head has no counterpart in MME.
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

    ``heads`` (an ``MMEPretrainHead``) gives the prediction MLPs, stored
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
    heads = randomized(
        MMEPretrainHead(in_channels=24, hidden_channels=32, traj_channels=32,
                        hog_channels=108), 5)
    return encoder, decoder, heads


def recognizer(num_frames=4, img_size=32, **backbone):
    vit = dict(VIT, num_frames=num_frames, img_size=img_size, **backbone)
    return MODELS.build(
        dict(type='Recognizer3D',
             backbone=dict(type='VisionTransformer', **vit),
             cls_head=dict(type='TimeSformerHead', num_classes=5,
                           in_channels=48),
             data_preprocessor=dict(type='ActionDataPreprocessor',
                                    format_shape='NCTHW'))).eval()


def assert_features_equal(ours, theirs):
    assert ours.shape == theirs.shape
    assert (ours - theirs).norm() <= 1e-5 * theirs.norm()


@pytest.mark.parametrize('decoder_prefix,projection', [
    ('decoder.0.', 'encoder_to_decoder.0.weight'),  # METHOD §9
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
                         ('head', heads)):
        for name, value in source.state_dict().items():
            torch.testing.assert_close(
                getattr(model, part).state_dict()[name], value, rtol=0,
                atol=0)
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
        k for k in source if k.startswith(('neck.', 'head.', 'backbone.norm.'))
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
        capture_output=True, text=True, cwd=ROOT)
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
    assert not list(tmp_path.glob('*.tmp-*'))  # written atomically


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
    with pytest.raises(SystemExit, match='token grid'):
        tool.main([str(src), str(tmp_path / 'out.pth'), '--to', 'mme',
                   '--config', str(config), '--num-frames', '16'])


def test_converted_release_checkpoint_predicts_like_the_original(tmp_path):
    """Release layout out of a model, converted back: the same masked
    predictions, and the strict load a continued pre-training needs."""
    original = randomized(MODELS.build(TINY_MME), 6)
    ckpt = release_pretrain(original.backbone, original.neck, original.head,
                            pixel_head=False)
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
        expected = original.head(original.neck(original.backbone(x, mask),
                                               mask))
        got = converted.eval().head(
            converted.neck(converted.backbone(x, mask), mask))
    for ours, theirs in zip(got, expected):
        assert (ours - theirs).norm() <= 1e-4 * theirs.norm()


def test_two_candidate_heads_of_one_kind_stay_unmapped(pretrain_parts):
    encoder, decoder, heads = pretrain_parts
    ckpt = release_pretrain(encoder, decoder, heads, pixel_head=False)
    ckpt['model'].update({'head_traj_2.' + k: v for k, v in
                          heads.traj_pred.state_dict().items()})
    state, report = convert_state_dict(ckpt['model'], 'mme', token_grid=GRID)
    assert [k for k in state if k.startswith('head.traj_pred')] == []
    assert sorted(k for k in state if k.startswith('head.hog_pred')) == [
        f'head.hog_pred.{p}' for p in ('0.bias', '0.weight', '2.bias',
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
    return {'notes.pth': 'not a PyTorch checkpoint',
            'empty.pth': 'the file is empty',
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

"""VQGANTokenizer on taming-transformers-layout checkpoints."""
import re

import pytest
import torch
from vqgan_checkpoints import TINY_DDCONFIG, save_random_vqgan

from mme_mmaction.models import VQGANTokenizer
from mme_mmaction.models.target_generators.vqgan import F16_DDCONFIG

MEAN = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1, 1)


def test_the_real_f16_architecture_tokenizes_224_px_into_14x14_codes(
        tmp_path):
    path = tmp_path / 'last.ckpt'
    reference = save_random_vqgan(path, F16_DDCONFIG, 256, 1024)
    tokenizer = VQGANTokenizer(str(path), tubelet_size=1)
    frame = torch.rand(1, 3, 1, 224, 224) * 255
    codes = tokenizer.targets((frame - MEAN) / STD)
    assert codes.shape == (1, 14 * 14, 1) and codes.dtype == torch.int64
    expected = reference.codes(frame[:, :, 0] / 127.5 - 1)
    assert torch.equal(codes[0, :, 0], expected.flatten())
    assert 0 <= codes.min() and codes.max() < 1024


def test_codes_of_a_token_are_its_frames_codes_at_its_patch(tmp_path):
    path = tmp_path / 'tiny.ckpt'
    reference = save_random_vqgan(path)
    tokenizer = VQGANTokenizer(str(path), ddconfig=TINY_DDCONFIG,
                               embed_dim=8, n_embed=32)
    assert tokenizer.head_sizes() == dict(codes_per_token=2, num_classes=32)
    video = torch.rand(2, 3, 4, 32, 48) * 255
    codes = tokenizer.targets((video - MEAN) / STD)  # 2 x 2 x 3 tokens
    assert codes.shape == (2, 12, 2)
    per_frame = reference.codes(
        video.permute(0, 2, 1, 3, 4).flatten(0, 1) / 127.5 - 1).reshape(
            2, 4, 2, 3)
    # token (t=1, h=1, w=2) holds frames 2, 3 at patch (1, 2)
    assert codes[1, 6 + 3 + 2].tolist() == per_frame[1, 2:, 1, 2].tolist()
    assert len(codes.unique()) > 3  # random codebook: codes vary
    first = VQGANTokenizer(str(path), ddconfig=TINY_DDCONFIG, embed_dim=8,
                           n_embed=32, frames='first')
    target, weight = first((video - MEAN) / STD)
    assert torch.equal(target, codes[..., :1]) and weight is None


def test_the_tokenizer_is_frozen_and_stays_in_eval(tmp_path):
    path = tmp_path / 'tiny.ckpt'
    save_random_vqgan(path)
    tokenizer = VQGANTokenizer(str(path), ddconfig=TINY_DDCONFIG,
                               embed_dim=8, n_embed=32)
    tokenizer.train()
    assert not tokenizer.training and not tokenizer.encoder.training
    assert not any(p.requires_grad for p in tokenizer.parameters())


def test_missing_and_mismatched_checkpoints_are_named(tmp_path):
    with pytest.raises(FileNotFoundError,
                       match='nope.ckpt: no VQGAN checkpoint there '
                       r'\(model.target_generator.checkpoint\)'):
        VQGANTokenizer(str(tmp_path / 'nope.ckpt'))
    path = tmp_path / 'tiny.ckpt'
    save_random_vqgan(path)
    with pytest.raises(ValueError, match='does not fit the configured VQGAN'):
        VQGANTokenizer(str(path), ddconfig=TINY_DDCONFIG, embed_dim=8,
                       n_embed=64)
    with pytest.raises(ValueError, match='downsamples by 8'):
        VQGANTokenizer(str(path), ddconfig=dict(TINY_DDCONFIG,
                                                ch_mult=(1, 1, 1, 1)))
    torch.save({'state_dict': {'encoder.conv_in.weight': torch.zeros(1)}},
               str(tmp_path / 'other.ckpt'))
    with pytest.raises(ValueError, match='not a taming-transformers VQGAN'):
        VQGANTokenizer(str(tmp_path / 'other.ckpt'))
    import argparse
    torch.save({'state_dict': {}, 'args': argparse.Namespace(a=1)},
               str(tmp_path / 'pickled.ckpt'))
    with pytest.raises(ValueError, match='holds objects beside tensors'):
        VQGANTokenizer(str(tmp_path / 'pickled.ckpt'))


@pytest.mark.parametrize('content, problem', [
    (b'', 'is empty (0 bytes)'),
    (b'<html>not found</html>\n', 'is a text file'),
    ('truncated', 'is truncated ('),
])
def test_a_file_that_is_no_checkpoint_is_named_in_one_line(
        tmp_path, content, problem):
    path = tmp_path / 'vqgan.ckpt'
    if content == 'truncated':
        save_random_vqgan(path)
        path.write_bytes(path.read_bytes()[:2000])
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError,
                       match=re.escape(f'model.target_generator.checkpoint: '
                                       f'{path} {problem}')) as error:
        VQGANTokenizer(str(path), ddconfig=TINY_DDCONFIG, embed_dim=8,
                       n_embed=32)
    assert '\n' not in str(error.value)
    assert 'weights_only' not in str(error.value)

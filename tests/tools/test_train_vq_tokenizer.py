"""tools/train_vq_tokenizer.py: a small tokenizer that VQGANTokenizer loads."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from mme_mmaction.models import VQGANTokenizer

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    'train_vq_tokenizer', ROOT / 'tools/train_vq_tokenizer.py')
tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tool)
MEAN = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1, 1)


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp('vq')
    spec = importlib.util.spec_from_file_location(
        'make_toy_dataset', ROOT / 'tools/data/make_toy_dataset.py')
    toy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(toy)
    toy.make_toy_dataset(str(root / 'toy'), num_videos_per_class=1,
                         num_val_per_class=0, num_frames=16)
    out = root / 'out'
    tool.main([str(root / 'toy' / 'train_list.txt'), str(out),
               '--ae-steps', '200', '--steps', '60', '--batch-size', '16',
               '--codebook', '16', '--val-videos', '2',
               '--restart-every', '20'])
    return root, out


def test_it_beats_predicting_grey_and_uses_the_codebook(trained):
    _, out = trained
    meta = json.loads((out / 'vq_tokenizer.json').read_text())
    # Grey (0 in [-1, 1]) scores about 13 dB on the toy; mean colours 19.
    assert meta['psnr'] > 15
    assert meta['usage'] >= 0.25 and meta['perplexity'] > 2
    assert meta['held_out_videos'] == 2


def test_the_checkpoint_tokenizes_as_the_trained_model_quantises(trained):
    root, out = trained
    meta = json.loads((out / 'vq_tokenizer.json').read_text())
    tokenizer = VQGANTokenizer(str(out / 'vq_tokenizer.pth'),
                               ddconfig=meta['ddconfig'],
                               embed_dim=meta['embed_dim'],
                               n_embed=meta['n_embed'], tubelet_size=1)
    model = tool.ToyVQTokenizer(meta['ddconfig'], meta['embed_dim'],
                                meta['n_embed'])
    state = torch.load(str(out / 'vq_tokenizer.pth'), weights_only=True)
    model.load_state_dict(state['state_dict'])
    frames = tool.read_frames(str(root / 'toy' / 'train_list.txt'), None, 4)
    images = tool.centre_frames(next(iter(frames.values())), 64)
    _, _, expected, _ = model(images)
    video = ((images + 1) * 127.5).permute(1, 0, 2, 3)[None]
    codes = tokenizer((video - MEAN) / STD)
    # Unit-norm codes: taming's Euclidean look-up equals the cosine one.
    assert torch.equal(codes.flatten(), expected)
    norms = model.quantize.embedding.weight.norm(dim=1)
    torch.testing.assert_close(norms, torch.ones_like(norms))


def test_bad_lists_and_settings_are_refused(tmp_path, capsys):
    (tmp_path / 'list.txt').write_text('missing.mp4 0\n')
    with pytest.raises(ValueError, match='missing.mp4: cannot be read'):
        tool.read_frames(str(tmp_path / 'list.txt'), None, 4)
    (tmp_path / 'empty.txt').write_text('\n')
    with pytest.raises(ValueError, match='lists no videos'):
        tool.read_frames(str(tmp_path / 'empty.txt'), None, 4)
    with pytest.raises(SystemExit):
        tool.parse_args(['l', 'o', '--size', '40'])
    assert 'multiple of 16' in capsys.readouterr().err


def test_kmeans_finds_separated_clusters():
    generator = torch.Generator().manual_seed(0)
    points = torch.cat([torch.randn(50, 2) * 0.01 + torch.tensor(c)
                        for c in ([0., 0.], [5., 5.], [-5., 5.])])
    centres = tool.kmeans(points, 3, generator)
    found = sorted(tuple(float(v) for v in np.round(c.numpy(), 1))
                   for c in centres)
    assert found == [(-5.0, 5.0), (0.0, 0.0), (5.0, 5.0)]

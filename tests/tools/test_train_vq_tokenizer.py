"""tools/train_vq_tokenizer.py: a small tokenizer that VQGANTokenizer loads."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from mme_mmaction.models import VQGANTokenizer
from tool_modules import load_tool, small_toy_dataset

ROOT = Path(__file__).resolve().parents[2]
tool = load_tool('tools/train_vq_tokenizer.py')
MEAN = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1, 1)
# 4 autoencoder and 24 VQ steps, a state after each.
TINY = [
    '--size', '32', '--ae-steps', '4', '--steps', '24', '--batch-size', '4',
    '--codebook', '8', '--embed-dim', '8', '--frames-per-video', '4',
    '--val-videos', '1', '--restart-every', '3', '--save-every', '1'
]


@pytest.fixture(scope='module')
def toy_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('vq')
    small_toy_dataset(root / 'toy', val_per_class=0, frames=16)
    return root


@pytest.fixture(scope='module')
def trained(toy_root):
    root = toy_root
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
    codes = tokenizer.targets((video - MEAN) / STD)
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


def start(root: Path, out: Path, *options: str) -> subprocess.Popen:
    """The tool on the tiny setting in a subprocess, logging to
    ``<out>.stdout`` and ``<out>.stderr``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(f'{out}.stdout', 'w') as stdout, \
            open(f'{out}.stderr', 'w') as stderr:
        return subprocess.Popen(
            [sys.executable, str(ROOT / 'tools/train_vq_tokenizer.py'),
             str(root / 'toy' / 'train_list.txt'), str(out), *TINY,
             *options],
            stdout=stdout, stderr=stderr, cwd=ROOT,
            # One thread: the same sums in every run, and no threads
            # waiting for each other on a busy machine.
            env=dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS='1'),
            # A test run started in the background inherits SIGINT ignored,
            # and Python then never raises KeyboardInterrupt.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def finish(process: subprocess.Popen, out: Path) -> str:
    """Wait for a run that must succeed; returns its stdout."""
    assert process.wait(timeout=300) == 0, Path(f'{out}.stderr').read_text()
    return Path(f'{out}.stdout').read_text()


def wait_for_state(process: subprocess.Popen, path: Path, step: int) -> None:
    """Return once ``path`` holds a state after ``step`` or later."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert process.poll() is None, 'the run ended before the signal'
        if path.exists() and torch.load(str(path),
                                        weights_only=True)['step'] >= step:
            return
        time.sleep(0.01)
    raise TimeoutError(f'no state after step {step} in {path}')


@pytest.fixture(scope='module')
def killed(toy_root):
    """An uninterrupted run, and one killed (SIGKILL) in the VQ stage."""
    full = toy_root / 'full'
    finish(start(toy_root, full), full)
    out = toy_root / 'killed'
    process = start(toy_root, out)
    # After k-means (step 4) and a code restart (every 3 VQ steps).
    wait_for_state(process, out / tool.STATE_NAME, 7)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    shutil.copy(out / tool.STATE_NAME, toy_root / 'killed_state.pth')
    return toy_root, full, out


def test_a_killed_run_resumes_to_the_same_tokenizer(killed):
    root, full, out = killed
    state = torch.load(str(out / tool.STATE_NAME), weights_only=True)
    assert 7 <= state['step'] < 28 and state['codebook_ready']
    assert not (out / 'vq_tokenizer.pth').exists()
    # --save-every does not change the result, so it may differ.
    log = finish(start(root, out, '--resume', '--save-every', '5'), out)
    assert f'after step {state["step"]}/28' in log
    assert not (out / tool.STATE_NAME).exists()
    expected = torch.load(str(full / 'vq_tokenizer.pth'), weights_only=True)
    resumed = torch.load(str(out / 'vq_tokenizer.pth'), weights_only=True)
    assert expected['state_dict'].keys() == resumed['state_dict'].keys()
    for key, value in expected['state_dict'].items():
        assert torch.equal(resumed['state_dict'][key], value), key
    for meta in (expected['meta'], resumed['meta']):
        del meta['wall_s']
    assert resumed['meta'] == expected['meta']


def test_each_stage_shows_progress_with_eta(killed):
    _, full, _ = killed
    log = Path(f'{full}.stderr').read_text()
    # tqdm: 'n/total [elapsed<remaining, rate, losses]'.
    assert re.search(r'autoencoder: 100%.* 4/4 \[\d+:\d\d<\d+:\d\d, .*'
                     r'reconstruction=\d\.\d{4}\]', log)
    assert re.search(r'vq: 100%.* 24/24 \[\d+:\d\d<\d+:\d\d, .*'
                     r'reconstruction=\d\.\d{4}, vq=\d\.\d{4}\]', log)
    assert 'k-means codebook: 8 codes' in Path(f'{full}.stdout').read_text()


def test_a_state_of_other_settings_is_refused(killed, tmp_path):
    root, _, _ = killed
    state = tmp_path / 'out' / tool.STATE_NAME
    state.parent.mkdir()
    shutil.copy(root / 'killed_state.pth', state)
    argv = [str(root / 'toy' / 'train_list.txt'), str(state.parent), *TINY,
            '--lr', '0.002', '--seed', '1', '--resume']
    with pytest.raises(ValueError) as error:
        tool.main(argv)
    assert str(error.value) == (
        f'{state}: saved with other settings: --lr 0.001 (now 0.002), '
        '--seed 0 (now 1). Rerun with the saved settings, or without '
        '--resume to start afresh.')
    state.write_text('not a state')
    with pytest.raises(ValueError, match='not a resume state of this tool'):
        tool.main(argv)


def test_a_failed_save_keeps_the_previous_file(tmp_path):
    path = tmp_path / tool.STATE_NAME
    tool.save_torch(str(path), {'step': 3})
    with pytest.raises(TypeError, match='cannot pickle'):
        tool.save_torch(str(path), {'step': 4, 'lock': threading.Lock()})
    assert torch.load(str(path), weights_only=True) == {'step': 3}
    assert os.listdir(tmp_path) == [tool.STATE_NAME]


def test_ctrl_c_leaves_the_last_complete_state(toy_root, tmp_path):
    out = tmp_path / 'out'
    process = start(toy_root, out)
    wait_for_state(process, out / tool.STATE_NAME, 2)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) != 0
    assert 'KeyboardInterrupt' in Path(f'{out}.stderr').read_text()
    assert os.listdir(out) == [tool.STATE_NAME]
    state = torch.load(str(out / tool.STATE_NAME), weights_only=True)
    assert 2 <= state['step'] < 28

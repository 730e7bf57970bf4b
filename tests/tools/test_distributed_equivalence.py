"""Two CPU processes at the same global batch train like one process."""
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from toy_recognizer import RECOGNIZER_CONFIG

ROOT = Path(__file__).resolve().parents[2]


def make_toy_dataset(out):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'make_toy_dataset', ROOT / 'tools/data/make_toy_dataset.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.make_toy_dataset(str(out), num_videos_per_class=1,
                            num_val_per_class=1, num_frames=40)


def losses_by_rank(work_dir):
    """{rank: [loss of each iteration]} from every rank's log file."""
    out = {}
    for log in Path(work_dir).rglob('*.log'):
        rank = re.search(r'rank(\d+)\.log$', log.name)
        values = [float(x) for x in re.findall(r' loss: ([0-9.]+)',
                                               log.read_text())]
        out[int(rank.group(1)) if rank else 0] = values
    return out


def test_two_processes_match_one_at_the_same_global_batch(tmp_path):
    data = tmp_path / 'toy'
    make_toy_dataset(data)
    # 8 videos: 2 iterations of a global batch of 4.
    lines = (data / 'train_list.txt').read_text().splitlines(True)[:8]
    (data / 'train_list.txt').write_text(''.join(lines))
    config = tmp_path / 'recognizer.py'
    config.write_text(RECOGNIZER_CONFIG.format(root=ROOT, data=data))
    # SGD keeps updates linear in the gradients (Adam's normalisation would
    # amplify rounding where gradients are near zero); no sampling noise.
    common = ['--cfg-options', 'log_level=DEBUG',
              'optim_wrapper.optimizer.type=SGD',
              'optim_wrapper.optimizer.lr=0.1',
              'randomness.diff_rank_seed=False']
    with socket.socket() as sock:  # a free port for torchrun's rendezvous
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHON=sys.executable,
               PORT=str(port))
    single = subprocess.run(
        [sys.executable, 'tools/train.py', str(config), '--work-dir',
         str(tmp_path / 'one')] + common + ['train_dataloader.batch_size=4'],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert single.returncode == 0, single.stderr[-3000:]
    double = subprocess.run(
        ['bash', 'tools/dist_train.sh', str(config), '2', '--work-dir',
         str(tmp_path / 'two')] + common + ['train_dataloader.batch_size=2'],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert double.returncode == 0, double.stderr[-3000:]

    one = losses_by_rank(tmp_path / 'one')[0]
    ranks = losses_by_rank(tmp_path / 'two')
    assert len(one) == 2 and sorted(ranks) == [0, 1]
    # Equal local batches: the global loss is the mean of the ranks'.
    two = [(a + b) / 2 for a, b in zip(ranks[0], ranks[1])]
    # Stated tolerance: 1e-3 relative (logs print 4 decimals).
    assert two == pytest.approx(one, rel=1e-3)

    a = torch.load(tmp_path / 'one' / 'epoch_1.pth', weights_only=False)
    b = torch.load(tmp_path / 'two' / 'epoch_1.pth', weights_only=False)
    for key, value in a['state_dict'].items():
        torch.testing.assert_close(b['state_dict'][key], value, rtol=1e-4,
                                   atol=1e-6, msg=key)

"""Two CPU processes at the same global batch train like one process.

Both launchers are run: ``tools/dist_train.sh`` (torchrun) and
``tools/slurm_train.sh``, the latter through a one-node stand-in for
``srun`` that starts the tasks with the environment Slurm gives them.
"""
import json
import os
import re
import socket
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from tool_modules import small_toy_dataset
from toy_recognizer import RECOGNIZER_CONFIG

ROOT = Path(__file__).resolve().parents[2]

# SGD keeps updates linear in the gradients (Adam's normalisation would
# amplify rounding where gradients are near zero); no sampling noise.
COMMON = ['--seed', '0', '--cfg-options', 'log_level=DEBUG',
          'optim_wrapper.optimizer.type=SGD',
          'optim_wrapper.optimizer.lr=0.1']

# What srun does on one node, for the options slurm_train.sh passes: start
# --ntasks copies of the command, each with its task's Slurm variables.
FAKE_SRUN = textwrap.dedent('''\
    #!{python}
    import argparse, json, os, subprocess, sys
    parser = argparse.ArgumentParser()
    parser.add_argument('-p', dest='partition', required=True)
    parser.add_argument('--job-name', required=True)
    parser.add_argument('--gres', required=True)
    parser.add_argument('--ntasks', type=int, required=True)
    parser.add_argument('--ntasks-per-node', type=int, required=True)
    parser.add_argument('--cpus-per-task', type=int, required=True)
    parser.add_argument('--kill-on-bad-exit', type=int, required=True)
    parser.add_argument('--quotatype')
    parser.add_argument('command', nargs=argparse.REMAINDER)
    args = parser.parse_args()
    with open(os.environ['SRUN_RECORD'], 'w') as f:
        json.dump(vars(args), f)
    tasks = [subprocess.Popen(args.command, env=dict(
        os.environ, SLURM_PROCID=str(i), SLURM_LOCALID=str(i),
        SLURM_NTASKS=str(args.ntasks), SLURM_NODELIST='localhost'))
        for i in range(args.ntasks)]
    sys.exit(max(task.wait() for task in tasks))
''')


def losses_by_rank(work_dir):
    """{rank: [loss of each iteration]} from every rank's log file."""
    out = {}
    for log in Path(work_dir).rglob('*.log'):
        rank = re.search(r'rank(\d+)\.log$', log.name)
        values = [float(x) for x in re.findall(r' loss: ([0-9.]+)',
                                               log.read_text())]
        out[int(rank.group(1)) if rank else 0] = values
    return out


def free_port():
    """A free port for the rendezvous of the processes."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture(scope='module')
def single_process(tmp_path_factory):
    """The toy recognizer config and its run in one process at batch 4."""
    tmp = tmp_path_factory.mktemp('one_process')
    data = tmp / 'toy'
    small_toy_dataset(data)
    # 8 videos: 2 iterations of a global batch of 4.
    lines = (data / 'train_list.txt').read_text().splitlines(True)[:8]
    (data / 'train_list.txt').write_text(''.join(lines))
    config = tmp / 'recognizer.py'
    config.write_text(RECOGNIZER_CONFIG.format(root=ROOT, data=data))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = subprocess.run(
        [sys.executable, 'tools/train.py', str(config), '--work-dir',
         str(tmp / 'one')] + COMMON + ['train_dataloader.batch_size=4'],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return config, tmp / 'one'


def assert_trains_like_one_process(one_dir, two_dir):
    one = losses_by_rank(one_dir)[0]
    ranks = losses_by_rank(two_dir)
    assert len(one) == 2 and sorted(ranks) == [0, 1]
    # Equal local batches: the global loss is the mean of the ranks'.
    two = [(a + b) / 2 for a, b in zip(ranks[0], ranks[1])]
    # Stated tolerance: 1e-3 relative (logs print 4 decimals).
    assert two == pytest.approx(one, rel=1e-3)

    a = torch.load(one_dir / 'epoch_1.pth', weights_only=False)
    b = torch.load(two_dir / 'epoch_1.pth', weights_only=False)
    for key, value in a['state_dict'].items():
        torch.testing.assert_close(b['state_dict'][key], value, rtol=1e-4,
                                   atol=1e-6, msg=key)


def test_dist_train_two_processes_match_one(single_process, tmp_path):
    config, one_dir = single_process
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHON=sys.executable,
               PORT=str(free_port()))
    run = subprocess.run(
        ['bash', 'tools/dist_train.sh', str(config), '2', '--work-dir',
         str(tmp_path / 'two')] + COMMON + ['train_dataloader.batch_size=2'],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert_trains_like_one_process(one_dir, tmp_path / 'two')


def with_fake_srun(tmp_path, **variables):
    """The environment of a 2-task job with FAKE_SRUN as ``srun``, and the
    file it records its arguments in."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    srun = bin_dir / 'srun'
    srun.write_text(FAKE_SRUN.format(python=sys.executable))
    srun.chmod(srun.stat().st_mode | stat.S_IEXEC)
    record = tmp_path / 'srun.json'
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHON=sys.executable,
               PATH=f'{bin_dir}{os.pathsep}{os.environ["PATH"]}',
               SRUN_RECORD=str(record), GPUS='2', GPUS_PER_NODE='2',
               MASTER_ADDR='127.0.0.1', MASTER_PORT=str(free_port()),
               **variables)
    return env, record


def test_slurm_train_two_tasks_match_one(single_process, tmp_path):
    config, one_dir = single_process
    env, record = with_fake_srun(tmp_path, SRUN_ARGS='--quotatype=auto')
    run = subprocess.run(
        ['bash', 'tools/slurm_train.sh', 'toy_partition', 'toy_job',
         str(config), '--work-dir', str(tmp_path / 'two')] + COMMON +
        ['train_dataloader.batch_size=2'],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]

    srun_args = json.loads(record.read_text())
    assert {key: srun_args[key] for key in (
        'partition', 'job_name', 'gres', 'ntasks', 'ntasks_per_node',
        'cpus_per_task', 'kill_on_bad_exit', 'quotatype')} == dict(
            partition='toy_partition', job_name='toy_job', gres='gpu:2',
            ntasks=2, ntasks_per_node=2, cpus_per_task=5,
            kill_on_bad_exit=1, quotatype='auto')
    assert srun_args['command'][1:4] == [
        '-u', str(ROOT / 'tools/train.py'), str(config)]
    assert srun_args['command'][-2:] == ['--launcher', 'slurm']
    assert_trains_like_one_process(one_dir, tmp_path / 'two')


def test_slurm_test_sh_evaluates_with_two_tasks(single_process, tmp_path):
    config, one_dir = single_process
    env, record = with_fake_srun(tmp_path)
    checkpoint = str(one_dir / 'epoch_1.pth')
    run = subprocess.run(
        ['bash', 'tools/slurm_test.sh', 'toy_partition', 'toy_test',
         str(config), checkpoint, '--work-dir', str(tmp_path / 'test')],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    log = run.stdout + run.stderr
    assert 'CPU processes: 2' in log and 'acc/top1' in log
    srun_args = json.loads(record.read_text())
    assert (srun_args['job_name'], srun_args['ntasks']) == ('toy_test', 2)
    assert srun_args['command'][1:5] == [
        '-u', str(ROOT / 'tools/test.py'), str(config), checkpoint]
    assert srun_args['command'][-2:] == ['--launcher', 'slurm']

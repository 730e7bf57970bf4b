"""AnyDeviceRunner: distributed runs on hosts without an accelerator.

Each case builds a Runner in a fresh single-process "distributed" job (the
environment torchrun or srun gives a task), so they run in subprocesses,
started together. CUDA is hidden, so the CPU path is tested on any host.
"""
import json
import os
import socket
import subprocess
import sys
import textwrap

import pytest

_TIMEOUT = 180

# Builds a runner as our configs do and prints what the tests check.
_RUNNER = textwrap.dedent("""
    import json, sys, tempfile
    import mme_mmaction
    import torch
    import torch.distributed as d
    from mmengine.config import ConfigDict
    from mmengine.model import BaseModel
    from mmaction.registry import RUNNERS

    class TinyModel(BaseModel):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(2, 1)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            return self.fc(inputs)

    runner_type, launcher, wrapper_cfg = sys.argv[1:4]
    # As Runner.from_cfg passes our configs' env_cfg: a ConfigDict without
    # dist_cfg (mmengine's default backend, nccl).
    kwargs = dict(model=TinyModel(), work_dir=tempfile.mkdtemp(),
                  launcher=launcher, randomness=dict(seed=5),
                  env_cfg=ConfigDict(mp_cfg=dict(mp_start_method='fork')))
    if wrapper_cfg != 'none':
        kwargs['cfg'] = dict(model_wrapper_cfg=json.loads(wrapper_cfg))
    try:
        runner = RUNNERS.get(runner_type)(**kwargs)
    except Exception as error:
        print('RESULT ' + json.dumps(dict(error=repr(error))))
        sys.exit(0)
    model = runner.model
    log = open(runner.log_dir + '/' + runner.timestamp + '.log').read()
    print('RESULT ' + json.dumps(dict(
        backend=d.get_backend(), world_size=d.get_world_size(),
        device_ids=model.device_ids,
        find_unused=model.find_unused_parameters,
        wrapper=type(model).__name__,
        out=model.module(torch.ones(3, 2)).shape[0],
        logged_cpu='CPU processes: 1' in log,
        logged_gloo="'backend': 'gloo'" in log,
        logged_gpu='GPU number' in log, logged_seed='seed: 5' in log)))
    d.destroy_process_group()
""")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture(scope='module')
def runs():
    base = dict(os.environ, CUDA_VISIBLE_DEVICES='')
    torchrun = dict(base, RANK='0', LOCAL_RANK='0', WORLD_SIZE='1',
                    MASTER_ADDR='127.0.0.1')
    srun = dict(base, SLURM_PROCID='0', SLURM_LOCALID='0', SLURM_NTASKS='1',
                SLURM_NODELIST='localhost', MASTER_ADDR='127.0.0.1')
    explicit = json.dumps(dict(type='MMDistributedDataParallel',
                               find_unused_parameters=True))
    cases = {
        'stock': ('Runner', 'pytorch', 'none', torchrun),
        'pytorch': ('AnyDeviceRunner', 'pytorch', 'none', torchrun),
        'explicit': ('AnyDeviceRunner', 'pytorch', explicit, torchrun),
        'slurm': ('AnyDeviceRunner', 'slurm', 'none', srun),
    }
    procs = {
        name: subprocess.Popen(
            [sys.executable, '-c', _RUNNER, *args],
            env=dict(env, MASTER_PORT=str(_free_port())),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name, (*args, env) in cases.items()
    }
    results = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=_TIMEOUT)
        assert proc.returncode == 0, f'{name}:\n{err[-3000:]}'
        lines = [line for line in out.splitlines()
                 if line.startswith('RESULT ')]
        assert lines, f'{name} printed no result:\n{out}\n{err[-3000:]}'
        results[name] = json.loads(lines[-1][len('RESULT '):])
    return results


def test_stock_runner_fails_distributed_without_cuda(runs):
    """Why the runner exists."""
    assert 'error' in runs['stock']


@pytest.mark.parametrize('launcher', ['pytorch', 'slurm'])
def test_distributed_on_cpu_uses_gloo_and_no_device_ids(runs, launcher):
    result = runs[launcher]
    assert 'error' not in result, result.get('error')
    assert result['backend'] == 'gloo' and result['world_size'] == 1
    assert result['wrapper'] == 'MMDistributedDataParallel'
    assert result['device_ids'] is None and result['find_unused'] is False
    assert result['out'] == 3


def test_an_explicit_ddp_config_gets_no_device_ids_either(runs):
    result = runs['explicit']
    assert 'error' not in result, result.get('error')
    assert result['device_ids'] is None and result['find_unused'] is True


def test_the_log_names_gloo_and_cpu_processes_not_gpus(runs):
    result = runs['pytorch']
    assert result['logged_cpu'] and result['logged_gloo']
    assert not result['logged_gpu'] and result['logged_seed']

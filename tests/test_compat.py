"""Tests of the stack fixes in :mod:`mme_mmaction.compat`.

Each test fails if the fix it covers is removed. The checks that need a
fresh interpreter (the DRN import and the distributed launcher) run in
subprocesses; they are started together, once per module, so that they
overlap instead of adding up.
"""
import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import checkpoint as mmengine_checkpoint

import mme_mmaction
from mme_mmaction import compat

_TIMEOUT = 180

_IMPORT_WITHOUT_FIX = textwrap.dedent("""
    import mmaction.models
""")

_IMPORT_WITH_FIX = textwrap.dedent("""
    import mme_mmaction
    import mmaction.models
    from mmaction.models import Recognizer3D
    from mmaction.registry import MODELS
    assert MODELS.get('Recognizer3D') is Recognizer3D
    print('IMPORT-OK')
""")

# Initialises the ``pytorch`` launcher exactly as a Runner would (default
# backend nccl), then wraps a tiny model through ``Runner.wrap_model`` and
# prints what the tests check as one JSON line.
_DIST = textwrap.dedent("""
    import json
    import mme_mmaction
    import torch
    import torch.distributed as d
    from mmengine.config import Config
    from mmengine.dist import init_dist
    from mmengine.model import BaseModel, MMDistributedDataParallel
    from mmengine.runner import Runner

    init_dist('pytorch')
    result = dict(backend=d.get_backend(), world_size=d.get_world_size())

    class TinyModel(BaseModel):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(2, 1)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            return self.fc(inputs)

    class FakeRunner:
        # The attributes Runner.wrap_model reads in the distributed branch.
        cfg = Config(dict(find_unused_parameters=False))
        distributed = True

    def wrap(model_wrapper_cfg):
        try:
            wrapped = Runner.wrap_model(FakeRunner(), model_wrapper_cfg,
                                        TinyModel())
        except Exception as error:
            return dict(error=repr(error))
        return dict(
            is_mmddp=isinstance(wrapped, MMDistributedDataParallel),
            device_ids=wrapped.device_ids,
            find_unused=wrapped.find_unused_parameters,
            out=wrapped.module(torch.ones(3, 2)).shape[0])

    result['default'] = wrap(None)
    result['explicit'] = wrap(dict(type='MMDistributedDataParallel',
                                   find_unused_parameters=True))
    d.destroy_process_group()
    print('RESULT ' + json.dumps(result))
""")

# The same on the ``slurm`` launcher, in the environment srun gives a task.
_DIST_SLURM = textwrap.dedent("""
    import json
    import os
    import mme_mmaction
    import torch.distributed as d
    from mmengine.dist import init_dist

    init_dist('slurm')
    print('RESULT ' + json.dumps(dict(
        backend=d.get_backend(), world_size=d.get_world_size(),
        rank=d.get_rank(), local_rank=os.environ['LOCAL_RANK'])))
    d.destroy_process_group()
""")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class _Snippets:
    """Python snippets run in parallel subprocesses, each awaited once."""

    def __init__(self, snippets):
        self._procs = {
            name: subprocess.Popen([sys.executable, '-c', code],
                                   stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE,
                                   text=True,
                                   env=env)
            for name, (code, env) in snippets.items()
        }
        self._results = {}

    def result(self, name):
        if name not in self._results:
            out, err = self._procs[name].communicate(timeout=_TIMEOUT)
            self._results[name] = (self._procs[name].returncode, out, err)
        return self._results[name]

    def close(self):
        for proc in self._procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


@pytest.fixture(scope='module')
def snippets():
    base = dict(os.environ)
    # A CUDA host would take mmengine's own path; test the CPU-only one.
    base['CUDA_VISIBLE_DEVICES'] = ''
    dist_env = dict(
        base,
        RANK='0',
        LOCAL_RANK='0',
        WORLD_SIZE='1',
        MASTER_ADDR='127.0.0.1',
        MASTER_PORT=str(_free_port()))
    slurm_env = dict(
        base,
        SLURM_PROCID='0',
        SLURM_LOCALID='0',
        SLURM_NTASKS='1',
        SLURM_NODELIST='localhost',
        MASTER_ADDR='127.0.0.1',
        MASTER_PORT=str(_free_port()))
    runs = _Snippets({
        'import_without_fix': (_IMPORT_WITHOUT_FIX, base),
        'import_with_fix': (_IMPORT_WITH_FIX, base),
        'dist': (_DIST, dist_env),
        'dist_slurm': (_DIST_SLURM, slurm_env),
    })
    yield runs
    runs.close()


def _printed_result(snippets, name):
    returncode, out, err = snippets.result(name)
    assert returncode == 0, f'{name} snippet failed:\n{err[-3000:]}'
    lines = [line for line in out.splitlines() if line.startswith('RESULT ')]
    assert lines, f'no result printed:\n{out}\n{err[-3000:]}'
    return json.loads(lines[-1][len('RESULT '):])


@pytest.fixture(scope='module')
def dist_result(snippets):
    return _printed_result(snippets, 'dist')


# 1. The DRN localizer missing from the mmaction2 1.2.0 wheel.


def test_mmaction_models_import_fails_without_fix(snippets):
    returncode, _, err = snippets.result('import_without_fix')
    if returncode == 0:
        pytest.skip('the installed mmaction2 ships localizers/drn: '
                    'the DRN stub is not needed')
    assert 'ModuleNotFoundError' in err
    assert 'drn' in err


def test_mmaction_models_import_succeeds_with_fix(snippets):
    returncode, out, err = snippets.result('import_with_fix')
    assert returncode == 0, err[-3000:]
    assert 'IMPORT-OK' in out


def test_drn_stub_raises_clear_import_error():
    from mmaction.models.localizers import DRN
    with pytest.raises(ImportError, match='DRN is unavailable'):
        DRN()


# 2. Loading mmengine checkpoints with torch >= 2.6 (weights_only=True).


@pytest.fixture
def mmengine_checkpoint_file(tmp_path):
    """A checkpoint holding what mmengine's Runner really saves."""
    hub = MessageHub.get_instance('test_compat_checkpoint')
    hub.update_scalar('train/loss', 0.5)
    hub.update_scalar('train/loss', np.float64(0.25))
    checkpoint = dict(
        meta=dict(epoch=3, iter=30, seed=np.int64(7)),
        state_dict={'fc.weight': torch.arange(4.).reshape(2, 2)},
        message_hub=hub.state_dict(),
        extra=np.arange(3))
    path = tmp_path / 'epoch_3.pth'
    torch.save(checkpoint, path)
    return path


def _check_loaded(loaded):
    assert torch.equal(loaded['state_dict']['fc.weight'],
                       torch.arange(4.).reshape(2, 2))
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.current() == pytest.approx(0.25)
    assert buffer.mean() == pytest.approx(0.375)
    assert loaded['meta']['seed'] == 7
    np.testing.assert_array_equal(loaded['extra'], np.arange(3))


def test_plain_torch_load_rejects_mmengine_checkpoint(
        mmengine_checkpoint_file):
    """Why the fix exists: default torch.load and mmengine's own loader."""
    try:
        torch.load(mmengine_checkpoint_file)
    except Exception as error:  # UnpicklingError on torch >= 2.6
        assert 'weights_only' in str(error) or 'Weights only' in str(error)
    else:
        pytest.skip(f'torch {torch.__version__} loads full pickles by '
                    'default: the checkpoint fix is not needed')
    with pytest.raises(Exception, match='(?i)weights.only'):
        mmengine_checkpoint.load_from_local(
            str(mmengine_checkpoint_file), map_location='cpu')


def test_load_checkpoint_keeps_history_buffer(mmengine_checkpoint_file):
    loaded = mmengine_checkpoint._load_checkpoint(
        str(mmengine_checkpoint_file), map_location='cpu')
    _check_loaded(loaded)


def test_checkpoint_loader_keeps_history_buffer(mmengine_checkpoint_file):
    loaded = mmengine_checkpoint.CheckpointLoader.load_checkpoint(
        str(mmengine_checkpoint_file), map_location='cpu')
    _check_loaded(loaded)


def test_load_checkpoint_missing_file(tmp_path):
    missing = str(tmp_path / 'no_such.pth')
    with pytest.raises(FileNotFoundError, match='no_such.pth'):
        mmengine_checkpoint._load_checkpoint(missing, map_location='cpu')


# 3. The ``pytorch`` and ``slurm`` launchers on a CPU-only host.


def test_init_dist_pytorch_uses_gloo_without_cuda(dist_result):
    assert dist_result['backend'] == 'gloo'
    assert dist_result['world_size'] == 1


def test_init_dist_slurm_uses_gloo_without_cuda(snippets):
    result = _printed_result(snippets, 'dist_slurm')
    assert result == dict(backend='gloo', world_size=1, rank=0,
                          local_rank='0')


def test_wrap_model_gives_ddp_no_device_ids_without_cuda(dist_result):
    wrapped = dist_result['default']
    assert 'error' not in wrapped, wrapped.get('error')
    assert wrapped['is_mmddp']
    assert wrapped['device_ids'] is None
    assert wrapped['find_unused'] is False
    assert wrapped['out'] == 3


def test_wrap_model_with_explicit_wrapper_cfg_without_cuda(dist_result):
    wrapped = dist_result['explicit']
    assert 'error' not in wrapped, wrapped.get('error')
    assert wrapped['is_mmddp']
    assert wrapped['device_ids'] is None
    assert wrapped['find_unused'] is True


# 4. Idempotence.


def test_apply_is_idempotent(monkeypatch):
    import mmengine.dist.utils as dist_utils
    from mmengine.runner import Runner

    init_dist_pytorch = dist_utils._init_dist_pytorch
    init_dist_slurm = dist_utils._init_dist_slurm
    wrap_model = Runner.wrap_model
    loader = mmengine_checkpoint.CheckpointLoader._get_checkpoint_loader(
        'model.pth')
    assert getattr(init_dist_pytorch, '_mme_patched', False)
    assert getattr(init_dist_slurm, '_mme_patched', False)
    # Restore whatever a broken apply() might replace.
    monkeypatch.setattr(dist_utils, '_init_dist_pytorch', init_dist_pytorch)
    monkeypatch.setattr(dist_utils, '_init_dist_slurm', init_dist_slurm)
    monkeypatch.setattr(Runner, 'wrap_model', wrap_model)

    mme_mmaction.compat.apply()
    assert dist_utils._init_dist_pytorch is init_dist_pytorch
    # Also past the module-level flag: each fix guards itself.
    monkeypatch.setattr(compat, '_applied', False)
    compat.apply()
    compat.apply()
    assert dist_utils._init_dist_pytorch is init_dist_pytorch
    assert dist_utils._init_dist_slurm is init_dist_slurm
    assert Runner.wrap_model is wrap_model
    assert mmengine_checkpoint.CheckpointLoader._get_checkpoint_loader(
        'model.pth') is loader


def test_recognition_heads_take_bf16_scores():
    from mmaction.models.heads.base import BaseHead
    from mmaction.registry import MODELS
    from mmaction.structures import ActionDataSample
    head = MODELS.build(dict(type='TimeSformerHead', num_classes=4,
                             in_channels=8))
    scores = torch.randn(2, 4).to(torch.bfloat16)
    samples = [ActionDataSample().set_gt_label(i) for i in (1, 3)]
    with pytest.raises(TypeError, match='BFloat16'):
        BaseHead.loss_by_feat.__wrapped__(head, scores, samples)
    losses = head.loss_by_feat(scores, samples)
    assert losses['loss_cls'].dtype == torch.float32
    assert losses['top1_acc'] >= 0

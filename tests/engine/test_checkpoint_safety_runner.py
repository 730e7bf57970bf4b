"""AnyDeviceRunner + AtomicCheckpointHook: a checkpoint is whole or absent,
the last good one survives any failed save, non-finite weights are never
saved, bad files are named, one run per work dir."""
import errno
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch.utils.data import Dataset

from mme_mmaction.checkpoints import CheckpointFileError, checkpoint_problem
from mme_mmaction.engine import AnyDeviceRunner
from mme_mmaction.engine.work_dir_claim import LOCK, WorkDirInUseError
from tool_modules import small_toy_dataset

ROOT = Path(__file__).resolve().parents[2]


class _Numbers(Dataset):

    def __len__(self):
        return 4

    def __getitem__(self, index):
        return dict(inputs=torch.tensor([float(index), 1.]),
                    data_samples=BaseDataElement(
                        metainfo=dict(filename=f'video_{index}.mp4')))


class _Model(BaseModel):

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return dict(loss=self.fc(torch.stack(inputs)).pow(2).mean())


def _runner(work_dir, lr=0.01, epochs=2, keep=1, **cfg):
    return AnyDeviceRunner(
        model=_Model(), work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=_Numbers(), batch_size=2, num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False)),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=lr)),
        train_cfg=dict(by_epoch=True, max_epochs=epochs),
        default_hooks=dict(checkpoint=dict(
            type='AtomicCheckpointHook', interval=1, max_keep_ckpts=keep)),
        custom_hooks=[dict(type='FiniteLossHook')],
        randomness=dict(seed=0), default_scope='mmaction',
        cfg=Config(cfg))


def _checkpoints(work_dir):
    return sorted(p.name for p in Path(work_dir).glob('*.pth'))


def _last(work_dir):
    return Path((Path(work_dir) / 'last_checkpoint').read_text().strip())


def test_checkpoints_are_written_whole_and_pruned_after(tmp_path):
    _runner(tmp_path, epochs=3).train()
    assert _checkpoints(tmp_path) == ['epoch_3.pth']
    assert _last(tmp_path) == tmp_path / 'epoch_3.pth'
    assert checkpoint_problem(str(tmp_path / 'epoch_3.pth')) is None
    # No temporary is left behind.
    assert sorted(p.name for p in tmp_path.iterdir()
                  if 'mme-tmp' in p.name) == []


class _ZeroLast(Dataset):
    """Four inputs; the last is zero, where sqrt(|w . x|) has a NaN
    gradient but a finite loss (0)."""

    def __len__(self):
        return 4

    def __getitem__(self, index):
        value = torch.tensor([0., 0.]) if index == 3 else torch.tensor(
            [float(index) + 1, 1.])
        return dict(inputs=value)


class _SqrtModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 1, bias=False)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return dict(loss=self.fc(torch.stack(inputs)).abs().sqrt().mean())


def test_non_finite_weights_are_never_saved(tmp_path):
    """Every loss is finite, so FiniteLossHook lets the epoch end; the
    last update leaves NaN weights, which the checkpoint would keep."""
    runner = _runner(tmp_path, epochs=1, keep=1)
    runner.model = _SqrtModel()
    runner._train_dataloader = dict(
        dataset=_ZeroLast(), batch_size=1, num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False))
    with pytest.raises(FloatingPointError,
                       match=r'Non-finite weights after iteration 4 \(epoch '
                       r'1\) in 1 parameters \(fc.weight\): no checkpoint '
                       'was written and none deleted'):
        runner.train()
    assert _checkpoints(tmp_path) == []
    assert not torch.isfinite(runner.model.fc.weight).all()


@pytest.mark.parametrize('failing', [1, 2])
def test_a_full_disk_keeps_the_old_checkpoint(tmp_path, monkeypatch,
                                              failing):
    from mmengine.fileio import LocalBackend
    put = LocalBackend.put

    def full_disk(backend, obj, path):
        if f'epoch_{failing}' in os.path.basename(str(path)):
            with open(path, 'wb') as f:
                f.write(obj[:len(obj) // 2])
            raise OSError(errno.ENOSPC, 'No space left on device')
        return put(backend, obj, path)

    monkeypatch.setattr(LocalBackend, 'put', full_disk)
    with pytest.raises(OSError, match='No space left'):
        _runner(tmp_path, epochs=2).train()
    # The half-written file never got a checkpoint's name and is gone; an
    # older checkpoint and the pointer to it are intact.
    left = sorted(p.name for p in tmp_path.iterdir()
                  if p.suffix == '.pth' or 'mme-tmp' in p.name)
    if failing == 1:
        assert left == [] and not (tmp_path / 'last_checkpoint').exists()
    else:
        assert left == ['epoch_1.pth']
        assert _last(tmp_path) == tmp_path / 'epoch_1.pth'


@pytest.mark.parametrize('content, problem', [
    (b'', 'is empty (0 bytes)'),
    (b'hello, I am not a checkpoint\n', 'is a text file'),
    (b'\x00\x01\x02garbage', 'is not a PyTorch checkpoint'),
])
def test_a_bad_load_from_is_named_in_one_line(tmp_path, content, problem):
    bad = tmp_path / 'model.pth'
    bad.write_bytes(content)
    runner = _runner(tmp_path / 'work', epochs=1)
    runner._load_from = str(bad)
    with pytest.raises(CheckpointFileError) as error:
        runner.train()
    assert str(error.value).startswith(f'load_from: {bad} {problem}')
    assert '\n' not in str(error.value)
    assert 'weights_only' not in str(error.value)


def test_a_bad_pretrained_init_file_is_named_by_its_config_key(tmp_path):
    bad = tmp_path / 'encoder.pth'
    bad.write_text('not yet downloaded\n')
    runner = _runner(tmp_path / 'work', epochs=1, model=dict(
        type='Recognizer3D', backbone=dict(init_cfg=dict(
            type='Pretrained', checkpoint=str(bad), prefix='backbone.'))))
    with pytest.raises(CheckpointFileError,
                       match=re.escape(
                           f'model.backbone.init_cfg.checkpoint: {bad} is a '
                           'text file')):
        runner.train()


def test_a_truncated_checkpoint_is_named_and_fallback_is_opt_in(tmp_path):
    _runner(tmp_path, epochs=2, keep=2).train()
    latest = tmp_path / 'epoch_2.pth'
    latest.write_bytes(latest.read_bytes()[:1000])
    runner = _runner(tmp_path, epochs=3, keep=2)
    runner._resume = True
    with pytest.raises(CheckpointFileError,
                       match=f'Cannot resume: {latest} is truncated .* '
                       f'newest complete checkpoint there is '
                       f'{tmp_path / "epoch_1.pth"}'):
        runner.train()
    runner = _runner(tmp_path, epochs=3, keep=2, resume_fallback=True)
    runner._resume = True
    runner.train()
    assert runner.iter == 6 and runner.epoch == 3


def test_resume_takes_a_work_dir(tmp_path):
    _runner(tmp_path / 'first', epochs=1).train()
    runner = _runner(tmp_path / 'second', epochs=2)
    runner._resume, runner._load_from = True, str(tmp_path / 'first')
    runner.train()
    assert runner.iter == 4
    empty = tmp_path / 'empty'
    empty.mkdir()
    runner = _runner(tmp_path / 'third', epochs=2)
    runner._resume, runner._load_from = True, str(empty)
    with pytest.raises(CheckpointFileError,
                       match=f'--resume {empty}: a folder without '
                       'last_checkpoint'):
        runner.train()


def test_a_second_run_in_a_work_dir_is_refused(tmp_path):
    import fcntl
    _runner(tmp_path, epochs=1).train()
    with pytest.raises(WorkDirInUseError,
                       match=r'holds the checkpoints of an earlier run '
                       r'\(last: .*epoch_1.pth\).*--overwrite'):
        _runner(tmp_path, epochs=1).train()
    with open(tmp_path / LOCK, 'a') as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(WorkDirInUseError,
                           match='Another training run is writing into'):
            _runner(tmp_path, epochs=1, overwrite_work_dir=True).train()
    before = (tmp_path / 'epoch_1.pth').read_bytes()
    _runner(tmp_path, lr=0.5, epochs=1, overwrite_work_dir=True).train()
    assert (tmp_path / 'epoch_1.pth').read_bytes() != before


def test_test_refuses_a_checkpoint_without_the_models_weights(tmp_path):
    """A pre-training checkpoint given to a recognizer: its head would be
    scored with random weights."""
    from mmengine.runner.checkpoint import save_checkpoint
    path = tmp_path / 'encoder_only.pth'
    state = {k: v for k, v in _Model().state_dict().items() if k != 'fc.bias'}
    save_checkpoint(dict(state_dict=state), str(path))
    runner = AnyDeviceRunner(
        model=_Model(), work_dir=str(tmp_path),
        test_dataloader=dict(
            dataset=_Numbers(), batch_size=2, num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False)),
        test_cfg=dict(), test_evaluator=[], load_from=str(path),
        default_scope='mmaction')
    with pytest.raises(CheckpointFileError,
                       match=r'encoder_only.pth has no weights for 1 '
                       r'parameters of the model \(fc.bias\)'):
        runner.test()


def test_learning_rate_and_batch_are_logged(tmp_path):
    runner = _runner(tmp_path, epochs=1)
    runner.auto_scale_lr = dict(enable=False, base_batch_size=256)
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    runner.logger.addHandler(handler)
    try:
        runner.train()
    finally:
        runner.logger.removeHandler(handler)
    log = '\n'.join(record.getMessage() for record in records)
    assert ('Learning rate 0.01 (the largest over parameter groups) for a '
            'total batch of 2, as configured for batch 256; auto_scale_lr '
            'is off (--auto-scale-lr scales it).') in log


KILLER = '''
import os, signal, sys
from mmengine.fileio import LocalBackend
put = LocalBackend.put

def dying_put(self, obj, path):
    if "epoch_2" in os.path.basename(str(path)):
        with open(path, "wb") as f:
            f.write(obj[:len(obj) // 2])
            f.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    return put(self, obj, path)

LocalBackend.put = dying_put
sys.argv = sys.argv[1:]
exec(compile(open(sys.argv[0]).read(), sys.argv[0], "exec"))
'''


@pytest.fixture(scope='module')
def toy_data(tmp_path_factory):
    return small_toy_dataset(tmp_path_factory.mktemp('toy'))


def test_sigkill_while_saving_leaves_a_resumable_work_dir(toy_data, tmp_path):
    """The process dies half-way through writing epoch_2 (max_keep_ckpts
    1): epoch_1 and the pointer to it survive, --resume finishes the run."""
    options = [
        str(ROOT / 'configs/mme/vit-tiny_toy.py'), '--work-dir',
        str(tmp_path), '--cfg-options',
        f'train_dataloader.dataset.ann_file={toy_data}/train_list.txt',
        f'train_dataloader.dataset.data_prefix.video={toy_data}',
        'train_dataloader.batch_size=9', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'train_cfg.max_epochs=3',
        'model.backbone.arch.depth=1', 'default_hooks.checkpoint.interval=1',
        'default_hooks.checkpoint.max_keep_ckpts=1'
    ]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    killed = subprocess.run(
        [sys.executable, '-c', KILLER, str(ROOT / 'tools/train.py')] +
        options, env=env, capture_output=True, text=True, timeout=600)
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert _checkpoints(tmp_path) == ['epoch_1.pth']
    assert _last(tmp_path) == tmp_path / 'epoch_1.pth'
    assert checkpoint_problem(str(tmp_path / 'epoch_1.pth')) is None
    resumed = subprocess.run(
        [sys.executable, str(ROOT / 'tools/train.py')] + options +
        ['--resume'], env=env, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert re.search(r'resumed epoch: 1, iter: 1', resumed.stdout +
                     resumed.stderr)
    assert _checkpoints(tmp_path) == ['epoch_3.pth']

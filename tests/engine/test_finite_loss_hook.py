"""FiniteLossHook: a non-finite loss stops training before any checkpoint
of that iteration is written or an older one deleted."""
import math

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmengine.structures import BaseDataElement
from torch.utils.data import Dataset

import mme_mmaction  # noqa: F401  (registers the hook)


class _Videos(Dataset):
    """Six one-number 'videos'; the fourth is corrupt (inf)."""

    def __len__(self):
        return 6

    def __getitem__(self, index):
        value = math.inf if index == 3 else float(index)
        return dict(inputs=torch.tensor([value, 1.]),
                    data_samples=BaseDataElement(
                        metainfo=dict(filename=f'video_{index}.mp4')))


class _Model(BaseModel):

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.fc(torch.stack(inputs))
        return dict(loss_fit=out.pow(2).mean(), loss_zero=out.mean() * 0)


def _train(work_dir, custom_hooks):
    runner = Runner(
        model=_Model(), work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=_Videos(), batch_size=1, num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False)),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=False, max_iters=6),
        default_hooks=dict(checkpoint=dict(
            type='CheckpointHook', interval=1, by_epoch=False,
            max_keep_ckpts=1)),
        custom_hooks=custom_hooks, randomness=dict(seed=0),
        default_scope='mmaction')
    runner.train()


def test_without_the_hook_a_nan_run_deletes_the_last_good_checkpoint(
        tmp_path):
    """Why the hook exists: the run goes on and keeps only NaN weights."""
    _train(tmp_path, custom_hooks=[])
    assert sorted(p.name for p in tmp_path.glob('*.pth')) == ['iter_6.pth']
    weights = torch.load(tmp_path / 'iter_6.pth')['state_dict']
    assert torch.isnan(weights['fc.weight']).all()


def test_the_hook_stops_before_the_poisoned_checkpoint(tmp_path):
    with pytest.raises(FloatingPointError) as error:
        _train(tmp_path, custom_hooks=[dict(type='FiniteLossHook')])
    message = str(error.value)
    assert 'iteration 4' in message and 'video_3.mp4' in message
    assert 'loss_fit' in message and 'loss_zero' in message
    # The last good checkpoint is kept, and nothing later was written.
    assert sorted(p.name for p in tmp_path.glob('*.pth')) == ['iter_3.pth']
    weights = torch.load(tmp_path / 'iter_3.pth')['state_dict']
    assert torch.isfinite(weights['fc.weight']).all()

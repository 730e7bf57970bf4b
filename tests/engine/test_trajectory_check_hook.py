"""TrajectoryCheckHook: per-epoch sums of the trajectory checks' counts."""
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmengine.structures import BaseDataElement
from torch.utils.data import Dataset

import mme_mmaction  # noqa: F401  (registers the hook)


class _Clips(Dataset):
    """Four samples; the third spans a cut in one of its 4 tubelets."""

    def __len__(self):
        return 4

    def __getitem__(self, index):
        checks = dict(tubelets=4, cuts=int(index == 2), tracks=100,
                      ended=25 if index == 2 else 5)
        return dict(inputs=torch.ones(2),
                    data_samples=BaseDataElement(
                        metainfo=dict(traj_checks=checks)))


class _Model(BaseModel):

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return dict(loss=self.fc(torch.stack(inputs)).pow(2).mean())


def train(tmp_path, dataset, epochs):
    """Train the tiny model with the hook; return the runner and its log."""
    runner = Runner(
        model=_Model(), work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=dataset, batch_size=2, num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False)),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=True, max_epochs=epochs),
        default_hooks=dict(checkpoint=None),
        custom_hooks=[dict(type='TrajectoryCheckHook')],
        default_scope='mmaction',
        # Runners made in one second share a message hub unless named.
        experiment_name=tmp_path.name)
    runner.train()
    log = tmp_path / runner.timestamp / f'{runner.timestamp}.log'
    return runner, log.read_text()


def test_counts_are_summed_over_the_epoch_and_logged(tmp_path):
    runner, log = train(tmp_path, _Clips(), epochs=2)
    # 1 of 16 tubelets; 25 + 3 * 5 = 40 of 400 trajectories, per epoch.
    scalars = runner.message_hub.log_scalars
    assert scalars['train/traj_cut_share'].current() == 1 / 16
    assert scalars['train/traj_ended_share'].current() == 40 / 400
    assert log.count('Trajectory check, epoch') == 2
    assert ('epoch 2: 1 of 16 tubelets span a shot cut (6.25 %); 40 of 400 '
            'trajectories ended by the check (10.00 %' in log)


def test_without_counts_it_logs_nothing(tmp_path):
    class Plain(_Clips):

        def __getitem__(self, index):
            return dict(inputs=torch.ones(2),
                        data_samples=BaseDataElement(metainfo={}))

    runner, log = train(tmp_path, Plain(), epochs=1)
    assert 'train/traj_cut_share' not in runner.message_hub.log_scalars
    assert 'Trajectory check' not in log

"""Per-epoch counts of the trajectories the photometric check ended."""
from typing import Dict, Optional

import torch
from mmaction.registry import HOOKS
from mmengine.dist import all_reduce
from mmengine.hooks import Hook
from mmengine.logging import print_log

COUNTS = ('tubelets', 'cuts', 'tracks', 'ended')


@HOOKS.register_module()
class TrajectoryCheckHook(Hook):
    """Log how often trajectories crossed a shot cut or lost their point.

    ``TrajectoryTarget`` counts, per sample, the tubelets that span a shot
    cut and the trajectories its photometric check made invalid
    (``traj_checks``, packed into the data samples' meta information). This
    hook sums them over an epoch and all ranks, logs one line and records
    ``train/traj_cut_share`` and ``train/traj_ended_share`` in the message
    hub (and so in the scalar logs). Pipelines without the check log
    nothing.
    """

    priority = 'LOW'

    def before_train_epoch(self, runner) -> None:
        """Start the epoch's counts."""
        self._counts = torch.zeros(len(COUNTS), dtype=torch.float64)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[Dict] = None) -> None:
        """Add the batch's counts."""
        for sample in (data_batch or {}).get('data_samples') or []:
            checks = getattr(sample, 'metainfo', {}).get('traj_checks')
            if checks is not None:
                self._counts += torch.tensor(
                    [checks[name] for name in COUNTS], dtype=torch.float64)

    def after_train_epoch(self, runner) -> None:
        """Log the epoch's counts, summed over ranks."""
        counts = self._counts.clone()
        all_reduce(counts)
        tubelets, cuts, tracks, ended = counts.tolist()
        if tubelets == 0:
            return
        cut_share = cuts / tubelets
        ended_share = ended / max(tracks, 1)
        runner.message_hub.update_scalar('train/traj_cut_share', cut_share)
        runner.message_hub.update_scalar('train/traj_ended_share',
                                         ended_share)
        print_log(
            f'Trajectory check, epoch {runner.epoch + 1}: {cuts:.0f} of '
            f'{tubelets:.0f} tubelets span a shot cut ({100 * cut_share:.2f} '
            f'%); {ended:.0f} of {tracks:.0f} trajectories ended by the '
            f'check ({100 * ended_share:.2f} %, cuts included).',
            logger='current')

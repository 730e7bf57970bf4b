"""Stop training on a non-finite loss before anything is saved."""
import math
from typing import Dict, Optional, Sequence

import torch
from mmaction.registry import HOOKS
from mmengine.dist import all_reduce
from mmengine.hooks import Hook


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Raise ``FloatingPointError`` as soon as a logged loss is inf or NaN.

    A non-finite loss poisons the weights in the same step (bf16 on CPU has
    no loss scaler to skip it), and every later checkpoint, while the run
    goes on and exits 0; with ``max_keep_ckpts`` the last good checkpoint
    is even deleted. This hook runs before every other ``after_train_iter``
    hook (``CheckpointHook`` included), on every rank at once (the verdict
    is all-reduced), so the run stops before a poisoned checkpoint is
    written or a good one deleted. The error names the iteration, the
    non-finite terms and the batch's videos when the data samples carry
    ``filename`` (``PackActionInputs(meta_keys=(..., 'filename'))``, as in
    our pre-training configs).
    """

    priority = 'VERY_HIGH'

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[Dict] = None) -> None:
        """Check this iteration's losses on every rank."""
        if not outputs:
            return
        values = {
            name: float(torch.as_tensor(value).detach())
            for name, value in outputs.items()
            if name.startswith('loss') and torch.as_tensor(value).numel() == 1
        }
        finite = torch.tensor(
            float(all(math.isfinite(v) for v in values.values())))
        all_reduce(finite, op='min')
        if finite.item() == 1:
            return
        bad = {k: v for k, v in values.items() if not math.isfinite(v)}
        where = (f'on this rank: {bad}' if bad else
                 'on another rank (see its log)')
        raise FloatingPointError(
            f'Non-finite loss at iteration {runner.iter + 1} (epoch '
            f'{runner.epoch + 1}) {where}; batch: '
            f'{_videos(data_batch)}. Training stopped before any checkpoint '
            'of this iteration was written or an older one deleted; resume '
            'from the last checkpoint after fixing the input or lowering '
            'the learning rate.')


def _videos(data_batch: Optional[dict]) -> str:
    """The videos of a batch, as far as its data samples name them."""
    samples: Sequence = (data_batch or {}).get('data_samples') or []
    names = [s.metainfo.get('filename') for s in samples
             if hasattr(s, 'metainfo')]
    if names and all(names):
        return ', '.join(names)
    return (f'{len(samples)} samples, unnamed (add \'filename\' to '
            'PackActionInputs meta_keys to name them)')

"""What ``loss_traj`` would be for predictors that learned no motion.

Compare a pre-training's ``loss_traj`` with these numbers. A run whose
trajectory loss sits at the ``zero`` baseline predicts nothing about motion
(that is what the release's disabled motion loss looks like from inside a
run, and what the toy pre-training shows at CPU budgets); one at or above
``visible mean`` knows no more than the clip's common motion.

Baselines, in the head's logged units (loss weight included), over
``--num-samples`` clips drawn by the config's own training pipeline (seeded,
so a rerun draws the same crops and masks):

* ``zero``: predict 0 for every masked token (an untrained Tanh head).
* ``visible mean``: predict, for every masked token of a clip, the mean
  target of the clip's valid visible tokens (the best constant a model could
  copy from what it sees, e.g. camera pan with ``norm='none'``).

With ``--checkpoint``, the pre-trained model's own ``loss_traj`` on the same
clips is printed beside them: a fair comparison, where the logged training
loss is a noisy mean over other clips. With ``--work-dir`` (a finished run;
its last checkpoint unless ``--checkpoint`` is given) the tool also prints
how the logged ``loss_traj`` fell: the mean over the last 20% of its logged
steps over the mean over the first 20%. ``make toy`` ends with this report.

Example:
    python tools/analysis/trajectory_loss_baselines.py \\
        configs/mme/vit-tiny_toy.py --num-samples 64 \\
        --work-dir work_dirs/vit-tiny_toy
"""
import argparse
import os.path as osp
from typing import Dict, Optional

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.device import get_device
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

import mme_mmaction  # noqa: F401  (registers the plugin)
from mmaction.registry import MODELS
from mme_mmaction.analysis import (add_sample_args, config_from_args,
                                   first_and_last, seeded_samples)
from mme_mmaction.models import TrajectoryTargetGenerator


def sample_errors(generator: torch.nn.Module, sample) -> np.ndarray:
    """Summed squared errors of the baselines on one packed sample.

    Args:
        generator (nn.Module): The model's trajectory target generator.
        sample (ActionDataSample): With ``trajectories`` (T', L, 2, Hc, Wc),
            ``traj_valid`` (T', Hc, Wc) and ``mask`` (N,).

    Returns:
        np.ndarray: zero-prediction error, visible-mean error (both summed
        over masked tokens, validity-weighted, loss weight not applied),
        valid masked tokens, masked tokens.
    """
    target, valid = generator.targets(
        torch.as_tensor(np.asarray(sample.trajectories))[None],
        torch.as_tensor(np.asarray(sample.traj_valid))[None])
    target, valid = target[0], valid[0]
    mask = torch.as_tensor(np.asarray(sample.mask)).bool()
    seen = ~mask & valid.bool()
    # With no valid visible token there is nothing to copy: predict zero.
    copied = target[seen].mean(0) if seen.any() else target.new_zeros(
        target.shape[-1])
    weight = valid[mask]
    return np.array([
        (target[mask].pow(2).sum(-1) * weight).sum().item(),
        ((target[mask] - copied).pow(2).sum(-1) * weight).sum().item(),
        weight.sum().item(),
        mask.sum().item(),
    ])


def model_loss(model: torch.nn.Module, packed: dict) -> float:
    """The model's ``loss_traj`` on one packed sample (eval mode).

    Args:
        model (nn.Module): A pre-training model such as ``MME``.
        packed (dict): ``inputs`` and ``data_samples`` of one clip, as the
            dataset returns them.

    Returns:
        float: The head's trajectory loss, loss weight included.
    """
    data = model.data_preprocessor(pseudo_collate([packed]), training=False)
    with torch.no_grad():
        return model(**data, mode='loss')['loss_traj'].item()


def trajectory_loss_baselines(cfg: Config,
                              num_samples: int = 32,
                              seed: int = 0,
                              checkpoint: Optional[str] = None
                              ) -> Dict[str, float]:
    """Trajectory loss of motion-blind predictors on a config's data.

    Args:
        cfg (Config): A pre-training config of a model whose motion
            target is a ``TrajectoryTargetGenerator`` (MME).
        num_samples (int): Clips to draw (without replacement where the
            dataset is large enough).
        seed (int): Seed of the clip choice and of the pipeline's draws.
        checkpoint (str, optional): A checkpoint of ``cfg.model``, whose
            own loss on the same clips is reported as ``model``.

    Returns:
        dict[str, float]: ``zero`` and ``visible mean`` losses (and
        ``model`` with a checkpoint), averaged over all masked tokens as the
        head averages over a batch, and ``valid_fraction``, the share of
        masked tokens with a valid target.

    Raises:
        TypeError: If the config's model makes no trajectory targets.
    """
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    model = MODELS.build(cfg.model).eval()
    generator = getattr(model, 'motion_generator', None)
    if not isinstance(generator, TrajectoryTargetGenerator):
        raise TypeError(
            f'{type(model).__name__} makes no trajectory targets: this tool '
            'needs a model with a TrajectoryTargetGenerator such as MME.')
    if checkpoint is not None:
        load_checkpoint(model, checkpoint, map_location='cpu')
        model.to(get_device())
    totals = np.zeros(4)
    model_total = 0.0
    for packed in seeded_samples(cfg, num_samples, seed):
        errors = sample_errors(generator, packed['data_samples'])
        totals += errors
        if model is not None:
            # Clips can differ in masked tokens: weight each by its count.
            model_total += model_loss(model, packed) * errors[3]
    err_zero, err_mean, valid_masked, num_masked = totals
    num_masked = max(num_masked, 1)
    scale = model.motion_head.loss_weight / num_masked
    out = {
        'zero': err_zero * scale,
        'visible mean': err_mean * scale,
        'valid_fraction': valid_masked / num_masked,
    }
    if model is not None:
        out['model'] = model_total / num_masked
    return out


def main() -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_sample_args(parser)
    parser.add_argument('--checkpoint',
                        help='also the loss of this pre-trained model')
    parser.add_argument('--work-dir',
                        help='a finished run: its logged loss_traj, and its '
                        'last checkpoint unless --checkpoint is given')
    args = parser.parse_args()
    checkpoint = args.checkpoint
    if args.work_dir and not checkpoint:
        with open(osp.join(args.work_dir, 'last_checkpoint')) as f:
            checkpoint = f.read().strip()
    out = trajectory_loss_baselines(config_from_args(args), args.num_samples,
                                    args.seed, checkpoint)
    print(f'loss_traj over {args.num_samples} seeded clips of '
          f'{args.config}:')
    if 'model' in out:
        print(f"  model         {out['model']:.4f}  ({checkpoint}), "
              f"{out['model'] / out['zero']:.2f} x zero")
    print(f"  zero          {out['zero']:.4f}")
    print(f"  visible mean  {out['visible mean']:.4f}, "
          f"{out['visible mean'] / out['zero']:.2f} x zero")
    print(f"  valid masked tokens: {100 * out['valid_fraction']:.1f}%")
    if args.work_dir:
        first, last = first_and_last(args.work_dir, 'loss_traj')
        print(f'logged loss_traj of {args.work_dir}: first 20% of steps '
              f'{first:.4f}, last 20% {last:.4f}, {last / first:.2f} x')


if __name__ == '__main__':
    main()

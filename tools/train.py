"""Train a model from a config (MMAction2's tools/train.py, CPU-aware).

The arguments are MMAction2's. Differences: ``--seed`` also overrides a
config's own ``randomness`` seed (MMAction2's script ignores it then),
``--resume`` also takes a work dir, ``--resume-fallback`` resumes from the
newest complete checkpoint when the latest is truncated, ``--overwrite``
lets a new run replace an earlier run's checkpoints (otherwise refused),
and the process group is torn down after the DDP model is freed (see
:func:`mme_mmaction.launch.run`). ``--amp`` selects
:class:`~mme_mmaction.engine.MixedPrecisionOptimWrapper` (mmengine's
``AmpOptimWrapper`` on an accelerator, bf16 autocast on a CPU) where
MMAction2's selects ``AmpOptimWrapper``, which needs an accelerator.
"""
import argparse

from mmengine.config import Config

import mme_mmaction  # noqa: F401  (fixes the stack, registers the plugin)
from mme_mmaction.launch import (add_launch_args, parse_launch_args, run,
                                 set_work_dir)

# The optim wrappers --amp replaces (MMAction2's two, and ours).
AMP_WRAPPERS = ('OptimWrapper', 'AmpOptimWrapper',
                'MixedPrecisionOptimWrapper')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint file or work dir (its '
        'last_checkpoint), or without a path from the work directory\'s')
    parser.add_argument(
        '--resume-fallback',
        action='store_true',
        help='if the checkpoint to resume is missing, empty or truncated, '
        'resume from the newest complete one beside it')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='start afresh in a work dir that holds an earlier run\'s '
        'checkpoints (they are overwritten as this run saves)')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision: MixedPrecisionOptimWrapper, i.e. AMP on an '
        'accelerator, bf16 autocast on CPU (the config\'s optim wrapper '
        'must be OptimWrapper, AmpOptimWrapper or that one)')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate checkpoints during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate by the real batch size')
    parser.add_argument('--seed', type=int, default=None, help='random seed')
    parser.add_argument(
        '--diff-rank-seed',
        action='store_true',
        help='use different seeds on different ranks')
    parser.add_argument(
        '--deterministic',
        action='store_true',
        help='deterministic options for the CUDNN backend')
    add_launch_args(parser)
    return parse_launch_args(parser)


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Merge command-line arguments into the config."""
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    set_work_dir(cfg, args)
    if args.amp:
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper not in AMP_WRAPPERS:
            raise ValueError(
                f'--amp does not support the custom optim wrapper '
                f'{wrapper!r} of {cfg.filename} (optim_wrapper.type); it '
                f'replaces {", ".join(AMP_WRAPPERS)}. Drop --amp, or set '
                f'optim_wrapper.type to one of them.')
        cfg.optim_wrapper.type = 'MixedPrecisionOptimWrapper'
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if args.resume_fallback:
        cfg.resume_fallback = True
    if args.overwrite:
        cfg.overwrite_work_dir = True
    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True
    if args.seed is not None or cfg.get('randomness', None) is None:
        cfg.randomness = dict(
            seed=args.seed,
            diff_rank_seed=args.diff_rank_seed,
            deterministic=args.deterministic)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def main() -> None:
    args = parse_args()
    run(merge_args(Config.fromfile(args.config), args), 'train')


if __name__ == '__main__':
    main()

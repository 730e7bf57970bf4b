"""Train a model from a config (MMAction2's tools/train.py, CPU-aware).

Differences from MMAction2's script: ``--amp`` picks bf16 autocast on a
CPU-only host (mmengine's ``AmpOptimWrapper`` needs a GPU), and the process
group is torn down after the DDP model is freed, which avoids gloo aborting
at exit under torch 2.14.
"""
import argparse
import gc
import os
import os.path as osp

import torch
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

import mme_mmaction  # noqa: F401  (fixes the stack, registers the plugin)
from mmaction.registry import RUNNERS


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint, or without a path from the '
        'latest checkpoint in the work directory')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision: AMP on CUDA, bf16 autocast on CPU')
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
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, xxx=yyy (see MMAction2)')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Merge command-line arguments into the config."""
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper not in ('OptimWrapper', 'AmpOptimWrapper',
                           'MixedPrecisionOptimWrapper'):
            raise ValueError(f'--amp does not support the custom optim '
                             f'wrapper {wrapper!r}.')
        cfg.optim_wrapper.type = ('AmpOptimWrapper'
                                  if torch.cuda.is_available() else
                                  'MixedPrecisionOptimWrapper')
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
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
    cfg = merge_args(Config.fromfile(args.config), args)
    runner = (Runner.from_cfg(cfg)
              if 'runner_type' not in cfg else RUNNERS.build(cfg))
    runner.train()
    if runner.rank == 0:
        print(f'Checkpoints and logs are in {osp.abspath(runner.work_dir)} '
              f'(log: {osp.abspath(runner.log_dir)})', flush=True)
    # Free the DDP model before the process group goes: gloo otherwise
    # aborts about one run in five at exit (torch 2.14).
    del runner
    gc.collect()
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


if __name__ == '__main__':
    main()

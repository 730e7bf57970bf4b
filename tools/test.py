"""Test a model from a config and a checkpoint (MMAction2's tools/test.py).

Pre-training configs have no test loop: evaluate a pre-trained encoder by
fine-tuning it with a recognition config.
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
    parser = argparse.ArgumentParser(description='Test a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument(
        '--dump', type=str, help='dump predictions to this pickle file')
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
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if not cfg.get('test_dataloader') or not cfg.get('test_cfg'):
        raise ValueError(
            f'{args.config} has no test_dataloader / test_cfg. Pre-training '
            'configs are evaluated by fine-tuning their encoder with a '
            'recognition config.')
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.dump is not None:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise ValueError('--dump must name a .pkl or .pickle file.')
        dump_metric = dict(type='DumpResults', out_file_path=args.dump)
        evaluators = cfg.test_evaluator
        cfg.test_evaluator = (
            [*evaluators, dump_metric] if isinstance(evaluators, (list, tuple))
            else [evaluators, dump_metric])
    return cfg


def main() -> None:
    args = parse_args()
    cfg = merge_args(Config.fromfile(args.config), args)
    runner = (Runner.from_cfg(cfg)
              if 'runner_type' not in cfg else RUNNERS.build(cfg))
    runner.test()
    # As in train.py: free the model before the process group.
    del runner
    gc.collect()
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


if __name__ == '__main__':
    main()

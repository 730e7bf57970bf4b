"""Test a model from a config and a checkpoint (MMAction2's tools/test.py).

The arguments are MMAction2's. Pre-training configs have no test loop:
evaluate a pre-trained encoder by fine-tuning it with a recognition config.
"""
import argparse

from mmengine.config import Config

import mme_mmaction  # noqa: F401  (fixes the stack, registers the plugin)
from mme_mmaction.launch import (add_launch_args, parse_launch_args, run,
                                 set_work_dir)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--dump', type=str, help='dump predictions to this pickle file')
    parser.add_argument(
        '--show-dir', help='save visualisations of the predictions here')
    parser.add_argument(
        '--show', action='store_true', help='show them in a window')
    parser.add_argument(
        '--interval', type=int, default=1,
        help='visualise every this many samples')
    parser.add_argument(
        '--wait-time', type=float, default=2,
        help='seconds each window is shown')
    add_launch_args(parser)
    return parse_launch_args(parser)


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Merge command-line arguments into the config."""
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if not cfg.get('test_dataloader') or not cfg.get('test_cfg'):
        raise ValueError(
            f'{args.config} has no test_dataloader / test_cfg. Pre-training '
            'configs are evaluated by fine-tuning their encoder with a '
            'recognition config.')
    set_work_dir(cfg, args)
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir is not None:
        if 'visualization' not in cfg.default_hooks:
            raise ValueError(
                f'{args.config} has no default_hooks.visualization; add '
                "visualization=dict(type='VisualizationHook') to use --show "
                'or --show-dir.')
        cfg.default_hooks.visualization.update(
            enable=True, show=args.show, wait_time=args.wait_time,
            out_dir=args.show_dir, interval=args.interval)
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
    run(merge_args(Config.fromfile(args.config), args), 'test')


if __name__ == '__main__':
    main()

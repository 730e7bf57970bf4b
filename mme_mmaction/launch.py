"""The tools' command line: config arguments and the launch of a run.

Every tool that reads a config takes ``--cfg-options``
(:func:`add_cfg_options`, :func:`load_config`); tools/train.py and
tools/test.py also share the launch arguments and the run.
"""
import argparse
import gc
import os
import os.path as osp
import sys
from typing import Optional

import torch
from mmaction.registry import RUNNERS
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from mme_mmaction.checkpoints import CheckpointFileError
from mme_mmaction.engine.work_dir_claim import WorkDirInUseError


def add_cfg_options(parser: argparse.ArgumentParser) -> None:
    """Add MMAction2's ``--cfg-options key=value ...``."""
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, xxx=yyy (see MMAction2)')


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """A config file with ``--cfg-options`` merged in."""
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def add_launch_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--work-dir``, ``--cfg-options``, ``--launcher``, ``--local-rank``.

    Both ``--local_rank`` (torch.distributed.launch) and ``--local-rank``
    (torchrun) are accepted.
    """
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    add_cfg_options(parser)
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_launch_args(
        parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Parse, exporting ``LOCAL_RANK`` when the launcher did not."""
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def set_work_dir(cfg: Config, args: argparse.Namespace) -> None:
    """``--work-dir``, else the config's, else work_dirs/<config name>."""
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])


def run(cfg: Config, method: str) -> None:
    """Build the runner, call ``runner.train()`` or ``.test()``, tear down.

    The runner (and with it the DDP model) is freed before the process group
    is destroyed: with torch 2.14, gloo otherwise aborts at exit about one
    run in five. A bad checkpoint file or a work dir in use ends the process
    with one line naming it (exit status 2), not a traceback.
    """
    runner = (Runner.from_cfg(cfg)
              if 'runner_type' not in cfg else RUNNERS.build(cfg))
    try:
        getattr(runner, method)()
    except (CheckpointFileError, WorkDirInUseError) as error:
        print(f'error: {error}', file=sys.stderr, flush=True)
        sys.exit(2)
    if runner.rank == 0:
        print(f'Checkpoints and logs are in {osp.abspath(runner.work_dir)} '
              f'(log: {osp.abspath(runner.log_dir)})', flush=True)
    del runner
    gc.collect()
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()

"""Seeded clips drawn by a config's own training pipeline."""
import argparse
import os.path as osp
import tempfile
from typing import Iterator, Optional, Sequence

import numpy as np
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import set_random_seed

from mmaction.registry import DATASETS
from mme_mmaction.launch import add_cfg_options, load_config


def seeded_samples(cfg: Config,
                   num_samples: int,
                   seed: int = 0,
                   videos: Optional[Sequence[str]] = None,
                   split: str = 'train') -> Iterator[dict]:
    """Packed training samples of a config, the same ones on every call.

    Args:
        cfg (Config): A pre-training config; a dataset wrapper such as
            ``RepeatDataset`` is looked through.
        num_samples (int): Clips to draw (without replacement where the
            dataset is large enough).
        seed (int): Seed of the choice of videos and of the pipeline's
            random crops and masks.
        videos (Sequence[str], optional): Video files to draw from instead
            of the config's list, e.g. real videos through a ViT-B
            pipeline whose dataset is not on this machine.
        split (str): Dataset of ``<split>_dataloader`` to draw from, e.g.
            ``'heldout'`` for a config's held-out clips.

    Yields:
        dict: ``inputs`` and ``data_samples`` as the dataset packs them.
    """
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    dataset_cfg = cfg[f'{split}_dataloader'].dataset
    # Wrappers (RepeatDataset, ClassBalancedDataset) only change how often
    # a video is drawn: choose among the videos themselves.
    while 'dataset' in dataset_cfg:
        dataset_cfg = dataset_cfg['dataset']
    dataset_cfg = dataset_cfg.copy()
    with tempfile.TemporaryDirectory() as folder:
        if videos:
            listing = osp.join(folder, 'videos.txt')
            with open(listing, 'w') as f:
                f.writelines(f'{osp.abspath(v)} 0\n' for v in videos)
            dataset_cfg.update(ann_file=listing, data_prefix=dict(video=''))
        dataset = DATASETS.build(dataset_cfg)
        set_random_seed(seed)
        picks = np.random.default_rng(seed).choice(
            len(dataset), num_samples, replace=num_samples > len(dataset))
        for index in picks:
            yield dataset[int(index)]


def add_sample_args(parser: argparse.ArgumentParser) -> None:
    """The arguments of a tool that measures a config on seeded clips:
    ``config``, ``--num-samples``, ``--seed``, ``--cfg-options``."""
    parser.add_argument('config', help='pre-training config')
    parser.add_argument('--num-samples', type=int, default=32)
    parser.add_argument('--seed', type=int, default=0)
    add_cfg_options(parser)


def config_from_args(args: argparse.Namespace) -> Config:
    """The config of :func:`add_sample_args`' arguments, overrides merged."""
    return load_config(args.config, args.cfg_options)

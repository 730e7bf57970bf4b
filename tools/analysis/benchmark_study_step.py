"""The study's pre-training step in its training precision against fp32.

For each arm, ``--steps`` steps of the study's own loop
(``mme_mmaction.analysis.in_process.pretrain``: the arm's config at toy
scale, the seed's clip store, mask draw, targets, forward, backward and
AdamW) run once with the config's optimizer wrapper (bf16 autocast where
the CPU has bf16 instructions) and once with mmengine's ``OptimWrapper``
(fp32), with the same weights, clips and masks. ``--rounds`` rounds, the
order of the two rotated every round; the table gives seconds per step
(median over rounds) and the median of the per-round ratios fp32 / config
with their spread, so that a noisy neighbour cannot flip a result.

The options, data, clip store and (for MAM2) tokenizer are the study's
(``tools/analysis/study.py``; the first of ``--seeds``, the same
``--work-dir`` reuses them, or they are made first), plus ``--steps`` and
``--rounds``.

Example:
    python tools/analysis/benchmark_study_step.py --rounds 3 --steps 30
"""
import argparse
import os.path as osp
import statistics
import sys
from types import ModuleType
from typing import Dict, List, Optional

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mme_mmaction.analysis import ratio_spread
from mme_mmaction.analysis.in_process import pretrain
from mme_mmaction.analysis.study_cells import cpu_model

PRECISIONS = ('config', 'float32')


def parse_args(study: ModuleType,
               argv: Optional[List[str]] = None) -> argparse.Namespace:
    """The study's options (its arms, data and batch) and this tool's."""
    p = study.build_parser()
    p.description = __doc__.split('\n')[0]
    p.set_defaults(arms=['mme', 'videomae', 'motionmae', 'mam2'], seeds=[0])
    p.add_argument('--steps', type=int, default=30,
                   help='pre-training steps per arm, precision and round')
    p.add_argument('--rounds', type=int, default=3)
    return p.parse_args(argv)


def in_precision(cfg: Config, precision: str) -> Config:
    """``cfg`` as is, or with mmengine's fp32 ``OptimWrapper`` (the same
    optimizer and parameter-wise settings)."""
    if precision == 'config':
        return cfg
    cfg = Config(cfg.to_dict())
    cfg.optim_wrapper.type = 'OptimWrapper'
    return cfg


def main(argv: Optional[List[str]] = None) -> None:
    """CLI entry point."""
    # tools/analysis/study.py: the arms and their data.
    sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
    import study
    a = parse_args(study, argv)
    a.work_dir = osp.abspath(a.work_dir)
    seed = a.seeds[0]
    torch.set_num_threads(a.threads)
    init_default_scope('mmaction')
    data = study.seed_data(seed, a, tokenizer='mam2' in a.arms)
    parts = {arm: study.arm_parts(arm, a, data, seed)
             for arm in a.arms}
    seconds: Dict[str, Dict[str, List[float]]] = {
        arm: {p: [] for p in PRECISIONS} for arm in a.arms}
    used = {}
    for r in range(a.rounds):
        for arm, (cfg, store, tail) in parts.items():
            for precision in PRECISIONS[r % 2:] + PRECISIONS[:r % 2]:
                run = pretrain(in_precision(cfg, precision),
                               lambda i: store.sample(i, tail),
                               len(store) - a.eval_clips, a.steps,
                               seed, log=lambda line: None)
                seconds[arm][precision].append(run['wall_s'] / a.steps)
                used[arm, precision] = run['precision']
        print(f'round {r + 1}/{a.rounds} done', flush=True)
    print(f'\n{cpu_model()}, {a.threads} threads; batch {a.batch_size}, '
          f'{a.steps} steps per run, {a.rounds} rounds\n')
    print('| arm | precisions: config / fp32 run | s/step | fp32 s/step | '
          'fp32 s / config s, median (min-max) over rounds |')
    print('|---|---|---|---|---|')
    for arm, times in seconds.items():
        ratios = [f / c for f, c in zip(times['float32'], times['config'])]
        print(f'| {arm} | {used[arm, "config"]} / {used[arm, "float32"]} | '
              f'{statistics.median(times["config"]):.3f} | '
              f'{statistics.median(times["float32"]):.3f} | '
              f'{ratio_spread(ratios)} |')


if __name__ == '__main__':
    main()

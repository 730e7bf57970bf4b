"""What a config's pre-training targets look like, and how much of them a
predictor that learned no motion would already get right.

Over seeded clips drawn by the config's own training pipeline (or by it
from ``--videos``), for the trajectory target and for HOG: the share of
tokens whose target is about zero or about constant over the token's 2 x 2
sub-cells, the per-channel variance, and the share of the masked tokens'
variance explained by motion-blind predictors (R^2): zero, the mean target
of the clip's visible tokens, the target of the nearest visible token.
See :class:`mme_mmaction.analysis.TargetStats`.

Example:
    python tools/analysis/target_stats.py configs/mme/vitb_k400.py \\
        --videos VIDEO.mp4 [VIDEO.mp4 ...] --num-samples 16
"""
import argparse
import json
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

import mme_mmaction  # noqa: F401  (registers the plugin)
from mmaction.registry import MODELS
from mme_mmaction.analysis import (TargetStats, add_sample_args,
                                   config_from_args, seeded_samples)
from mme_mmaction.models import TrajectoryTargetGenerator


def target_stats(cfg: Config, num_samples: int = 32, seed: int = 0,
                 videos: Optional[Sequence[str]] = None,
                 rel_tol: float = 0.05) -> Dict[str, Dict]:
    """Statistics of the trajectory and HOG targets of a config.

    Returns:
        dict: ``{'trajectory': ..., 'hog': ...}``, each
        :meth:`TargetStats.summary`, plus ``loss weights``.
    """
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    model = MODELS.build(cfg.model).eval()
    motion = getattr(model, 'motion_generator', None)
    if not isinstance(motion, TrajectoryTargetGenerator):
        raise TypeError(f'{type(model).__name__} makes no trajectory '
                        'targets: this tool needs an MME model.')
    generator = model.target_generator
    cells = motion.cells_per_patch**2
    stats = dict(trajectory=TargetStats(cells, rel_tol),
                 hog=TargetStats(cells, rel_tol))
    for packed in seeded_samples(cfg, num_samples, seed, videos):
        sample = packed['data_samples']
        data = model.data_preprocessor(pseudo_collate([packed]), False)
        clips = model._clips(data['inputs'])
        _, _, frames, height, width = clips.shape
        grid = (frames // generator.tubelet_size,
                height // generator.patch_size, width // generator.patch_size)
        mask = torch.as_tensor(np.asarray(sample.mask)).bool()
        traj, valid = motion.targets(
            torch.as_tensor(np.asarray(sample.trajectories))[None],
            torch.as_tensor(np.asarray(sample.traj_valid))[None])
        stats['trajectory'].add(traj[0], valid[0].bool(), mask, grid)
        hog = generator.targets(clips)[0]
        stats['hog'].add(hog, torch.ones(len(hog), dtype=torch.bool), mask,
                         grid)
    out = {name: s.summary() for name, s in stats.items()}
    out['loss weights'] = dict(traj=model.motion_head.loss_weight,
                               hog=model.head.loss_weight)
    return out


def report(out: Dict) -> str:
    """The statistics as a Markdown table."""
    weights = out['loss weights']
    rows = ['| target | valid | ~0 | constant over sub-cells | channel '
            'variance (min / mean / max) | zero-prediction loss per token '
            '(x weight) | R^2 zero | R^2 visible mean | R^2 nearest visible '
            '|', '|---' * 9 + '|']
    for name, key in (('trajectory', 'traj'), ('hog', 'hog')):
        s = out[name]
        var = np.array(s['channel variance'])
        r2 = s['explained']
        rows.append(
            f"| {name} | {100 * s['valid fraction']:.1f}% | "
            f"{100 * s['about zero']:.1f}% | "
            f"{100 * s['constant over sub-cells']:.1f}% | "
            f'{var.min():.3g} / {var.mean():.3g} / {var.max():.3g} | '
            f"{s['zero-prediction loss per token']:.3g} "
            f"({weights[key] * s['zero-prediction loss per token']:.3g}) | "
            f"{r2['zero']:.3f} | {r2['visible mean']:.3f} | "
            f"{r2['nearest visible']:.3f} |")
    return '\n'.join(rows)


def main() -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_sample_args(parser)
    parser.add_argument('--videos', nargs='+',
                        help='draw clips from these files instead of the '
                        "config's list")
    parser.add_argument('--rel-tol', type=float, default=0.05,
                        help='"about zero / constant": under this fraction '
                        'of the RMS target')
    parser.add_argument('--json', help='also write the numbers here')
    args = parser.parse_args()
    out = target_stats(config_from_args(args), args.num_samples, args.seed,
                       args.videos, args.rel_tol)
    print(f'Targets of {args.num_samples} clips of {args.config}'
          + (f' from {len(args.videos)} videos' if args.videos else '')
          + ':\n' + report(out))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(out, f, indent=2)


if __name__ == '__main__':
    main()

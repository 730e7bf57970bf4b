"""Which trajectory target (or setting) learns? Equal-budget in-process runs.

Draws ``--train-clips`` seeded clips through a config's own training pipeline
once (decoding and optical flow are most of a toy step's cost), then, for
every variant and seed, trains the config's model on them for the same
number of steps (AdamW, ``--lr`` with a warm-up of a fifteenth of the steps
and a cosine to 5%) and scores it on ``--eval-clips`` other seeded clips
against two motion-blind predictors of the *same* target: predicting zero
and copying the mean target of the clip's visible tokens. The evaluation
clips come from the config's ``heldout_dataloader`` when it has one (e.g.
other time ranges of the videos), else from other draws of the training
set. ``--videos`` draws both from the given files instead of the config's
list. The ratios
(model / zero, visible mean / zero) compare targets of different units; the
table also gives the logged ``loss_traj`` of the last fifth of the steps over
the first fifth.

A variant is a name followed by ``KEY=VALUE`` settings: config keys (values
read as Python literals, else as strings; a dict replaces the entry) or
``steps`` / ``lr``. Variants that change the pipeline draw their own clips.

Example (the decision table of docs/pretraining.md):
    python tools/analysis/target_options.py configs/mme/vit-tiny_toy.py \\
        --variant raw model.motion_generator.norm=none \\
        --variant log model.motion_generator.norm=log --seeds 0 1
"""
import argparse
import ast
import time
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

import mme_mmaction  # noqa: F401  (registers the plugin)
from mmaction.registry import MODELS
from mme_mmaction.analysis import seeded_samples, spread
from mme_mmaction.analysis.in_process import batches, warmup_cosine
from mme_mmaction.analysis.motion_scores import motion_scores
from mme_mmaction.launch import add_cfg_options, load_config

SPECIAL = ('steps', 'lr')


def parse_variant(words: List[str]) -> Tuple[str, Dict]:
    """``[name, 'k=v', ...]`` to ``(name, {k: v})``, values as literals."""
    name, settings = words[0], {}
    for word in words[1:]:
        key, sep, text = word.partition('=')
        if not sep:
            raise ValueError(f'variant {name!r}: {word!r} is not KEY=VALUE')
        try:
            settings[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            settings[key] = text
    return name, settings


def apply_settings(cfg: Config, settings: Dict) -> Config:
    """A copy of ``cfg`` with the config keys of ``settings`` set."""
    cfg = Config(cfg.to_dict())
    for key, value in settings.items():
        if key in SPECIAL:
            continue
        *path, last = key.split('.')
        node = cfg
        for part in path:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return cfg


def draw(cfg: Config, num: int, seed: int,
         videos: Optional[List[str]] = None,
         split: str = 'train') -> List[dict]:
    """``num`` packed clips of the config's ``split`` pipeline, seeded."""
    return list(seeded_samples(cfg, num, seed, videos, split))


def train_and_score(cfg: Config, train_clips: List[dict],
                    eval_clips: List[dict], steps: int, lr: float,
                    seed: int) -> Dict[str, float]:
    """Train ``cfg.model`` on ``train_clips``; score it on ``eval_clips``.

    Returns:
        dict: ``model``, ``zero`` and ``visible mean`` trajectory errors per
        masked token (loss weight not applied), ``logged`` (last / first
        fifth of the training ``loss_traj``) and ``wall_s``.
    """
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr,
                                  betas=(0.9, 0.95), weight_decay=0.05)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer,
                                                 warmup_cosine(steps))
    batch_size = cfg.train_dataloader.get('batch_size', 16)
    start, logged = time.monotonic(), []
    model.train()
    for indices in batches(len(train_clips), batch_size, steps, seed):
        data = model.data_preprocessor(
            pseudo_collate([train_clips[i] for i in indices]), True)
        losses = model(**data, mode='loss')
        optimizer.zero_grad()
        sum(losses.values()).backward()
        optimizer.step()
        schedule.step()
        logged.append(losses['loss_traj'].item())
    wall = time.monotonic() - start
    scores = motion_scores(model, eval_clips)
    k = max(1, len(logged) // 5)
    first, last = sum(logged[:k]) / k, sum(logged[-k:]) / k
    return {**scores, 'logged': last / first if steps else 1.0,
            'wall_s': wall}


def study(cfg: Config, variants: List[Tuple[str, Dict]], seeds: List[int],
          steps: int, lr: float, train_clips: int, eval_clips: int,
          videos: Optional[List[str]] = None) -> List[dict]:
    """Every variant with every seed; clips drawn once per pipeline."""
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    drawn: Dict[str, Tuple[List[dict], List[dict]]] = {}
    rows = []
    for name, settings in variants:
        variant_cfg = apply_settings(cfg, settings)
        key = repr(variant_cfg.train_dataloader.dataset.pipeline)
        if key not in drawn:
            heldout = 'heldout' if variant_cfg.get(
                'heldout_dataloader') else 'train'
            drawn[key] = (draw(variant_cfg, train_clips, 1, videos),
                          draw(variant_cfg, eval_clips, 0, videos, heldout))
        for seed in seeds:
            result = train_and_score(variant_cfg, *drawn[key],
                                     settings.get('steps', steps),
                                     settings.get('lr', lr), seed)
            rows.append(dict(variant=name, seed=seed, **result))
            print(f"{name} seed {seed}: model / zero "
                  f"{result['model'] / result['zero']:.3f}", flush=True)
    return rows


def summary(rows: List[dict], variants: List[Tuple[str, Dict]]) -> str:
    """Markdown: per variant, mean (min-max) over seeds."""
    lines = [
        '| variant | settings | model / zero | model / nearest visible | '
        'visible mean / zero | nearest visible / zero | logged loss_traj, '
        'last / first fifth | zero loss per token | wall (s) |',
        '|---|---|---|---|---|---|---|---|---|'
    ]
    for name, settings in variants:
        runs = [r for r in rows if r['variant'] == name]
        text = ', '.join(f'{k}={v}' for k, v in settings.items()) or '-'
        lines.append(
            f'| {name} | {text} | '
            f"{spread([r['model'] / r['zero'] for r in runs], 3)} | "
            f"{spread([r['model'] / r['nearest visible'] for r in runs], 3)}"
            f" | {spread([r['visible mean'] / r['zero'] for r in runs], 3)} | "
            f"{spread([r['nearest visible'] / r['zero'] for r in runs], 3)}"
            " | "
            f"{spread([r['logged'] for r in runs], 3)} | "
            f"{sum(r['zero'] for r in runs) / len(runs):.3f} | "
            f"{sum(r['wall_s'] for r in runs) / len(runs):.0f} |")
    return '\n'.join(lines)


def main(argv: Optional[List[str]] = None) -> None:
    """CLI entry point."""
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', help='an MME pre-training config')
    add_cfg_options(p)
    p.add_argument('--variant', nargs='+', action='append', required=True,
                   metavar='NAME [KEY=VALUE ...]')
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1])
    p.add_argument('--steps', type=int, default=400)
    p.add_argument('--lr', type=float, default=3e-4)
    p.add_argument('--train-clips', type=int, default=2160)
    p.add_argument('--eval-clips', type=int, default=64)
    p.add_argument('--videos', nargs='+', metavar='VIDEO',
                   help='draw the clips from these videos, not from the '
                   'config\'s list')
    a = p.parse_args(argv)
    try:
        variants = [parse_variant(v) for v in a.variant]
    except ValueError as e:
        p.error(str(e))
    rows = study(load_config(a.config, a.cfg_options), variants, a.seeds,
                 a.steps, a.lr, a.train_clips, a.eval_clips, a.videos)
    print(summary(rows, variants))


if __name__ == '__main__':
    main()

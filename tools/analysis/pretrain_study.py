"""Does motion help? Pre-training arms at an equal budget, on the toy.

Every arm pre-trains the same toy encoder (ViT, 192 dims, 4 blocks) on the
same unlabelled toy videos for the same number of epochs (so the same steps
and clips), with the same seeds; then every checkpoint, and a random
initialisation, is fine-tuned and linear-probed on the same labelled toy
videos with the same recipe (``configs/recognition/vit-tiny_mme-pre_toy.py``
and its linear-probe variant). The toy's classes differ only by how objects
move (``tools/data/make_toy_dataset.py``), so appearance alone cannot solve
them.

Arms (``--arms``, default all):

* ``random``: no pre-training.
* ``videomae``: normalised pixels, VideoMAE's decoder (384 x 4) and tube
  masking 0.9 (``configs/videomae/vit-tiny_toy_pixel.py``).
* ``hog``: MME with the trajectory weight 0.
* ``traj``: MME with the HOG weight 0.
* ``mme_faithful``: MME with the paper's target (docs/method.md §4.4)
  (``configs/mme/vit-tiny_toy_faithful.py``).
* ``mme``: MME with the toy config's target (``configs/mme/vit-tiny_toy.py``).
* ``motionmae``: MotionMAE, pixels and frame differences with a decoder
  each (``configs/motionmae/vit-tiny_toy_motionmae.py``).
* ``motionmae_sha``: MotionMAE with one shared decoder
  (``configs/motionmae/vit-tiny_toy_motionmae-sha.py``).
* ``mam2``: MAM2, latent regressor, VQ codes and frame differences
  (``configs/mam2/vit-tiny_toy_mam2.py``); its tokenizer is trained once
  per study on the pre-training videos (``tools/train_vq_tokenizer.py``,
  ``--tokenizer-options``), outside the arm's budget, as MME's flow is.

Per arm and seed the report has the validation top-1 of the last epoch of
fine-tuning and of linear probing, the pre-training's wall time, and for
arms that train a trajectory head the final ``loss_traj`` on 64 seeded
pre-training clips beside predicting zero and copying the visible tokens'
mean (``tools/analysis/trajectory_loss_baselines.py``). The table (mean and
spread over seeds) goes to ``WORK_DIR/study.md``, every number to
``WORK_DIR/study.json``.

Every step is a plain ``tools/train.py`` run in ``WORK_DIR/<arm>/seed<S>/``;
a finished step leaves ``done.json`` and is not run again, so an interrupted
study resumes where it stopped (an unfinished step starts afresh over what
it left: ``tools/train.py --overwrite``).

Usage:
    python tools/analysis/pretrain_study.py [--work-dir DIR] [--data-root DIR]
        [--arms A ...] [--seeds S ...] [--pretrain-videos N]
        [--labelled-videos N] [--val-videos N] [--pretrain-epochs E]
        [--finetune-epochs E] [--pretrain-options K=V ...]
        [--finetune-options K=V ...] [--tokenizer-options K=V ...]
"""
import argparse
import importlib.util
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config, DictAction

from mme_mmaction.analysis import logged_scalars, spread

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MME_TOY = 'configs/mme/vit-tiny_toy.py'
#: Pre-training config and extra options of every arm (None: no training).
ARMS = {
    'random': None,
    'videomae': ('configs/videomae/vit-tiny_toy_pixel.py', {}),
    'hog': (MME_TOY, {'model.motion_head.loss_weight': 0.}),
    'traj': (MME_TOY, {'model.head.loss_weight': 0.}),
    'mme_faithful': ('configs/mme/vit-tiny_toy_faithful.py', {}),
    'mme': (MME_TOY, {}),
    'motionmae': ('configs/motionmae/vit-tiny_toy_motionmae.py', {}),
    'motionmae_sha': ('configs/motionmae/vit-tiny_toy_motionmae-sha.py', {}),
    'mam2': ('configs/mam2/vit-tiny_toy_mam2.py', {}),
}
TRANSFER = {
    'finetune': 'configs/recognition/vit-tiny_mme-pre_toy.py',
    'probe': 'configs/recognition/vit-tiny_mme-pre_linear-probe_toy.py',
}
# 64 x 64 frames, static camera: objects fill much of the frame, so masked
# tubes hold moving objects whose motion the visible tokens show
# (configs/mme/README.md).
TOY_VARIANT = ['--height', '64', '--width', '64', '--max-pan', '0']


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--work-dir', default='work_dirs/pretrain_study')
    p.add_argument('--data-root', default='data/study',
                   help='parent of the pretrain and labelled datasets')
    p.add_argument('--arms', nargs='+', default=list(ARMS), choices=ARMS)
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1])
    p.add_argument('--pretrain-videos', type=int, default=40,
                   help='unlabelled pre-training videos per class')
    p.add_argument('--labelled-videos', type=int, default=20,
                   help='labelled training videos per class')
    p.add_argument('--val-videos', type=int, default=10,
                   help='validation videos per class')
    p.add_argument('--pretrain-epochs', type=int, default=12)
    p.add_argument('--finetune-epochs', type=int, default=12,
                   help='epochs of fine-tuning and of linear probing')
    p.add_argument('--pretrain-options', nargs='+', action=DictAction,
                   default={}, help='extra --cfg-options of every arm')
    p.add_argument('--finetune-options', nargs='+', action=DictAction,
                   default={}, help='extra --cfg-options of every transfer')
    p.add_argument('--tokenizer-options', nargs='+', action=DictAction,
                   default={}, help='options of tools/train_vq_tokenizer.py '
                   'for the MAM2 arm, e.g. steps=100')
    a = p.parse_args(argv)
    if len(set(a.seeds)) < len(a.seeds):
        p.error(f'--seeds repeats a seed: {a.seeds}')
    for name in ('pretrain_epochs', 'finetune_epochs'):
        if getattr(a, name) < 3:
            p.error(f'--{name.replace("_", "-")} must be at least 3 (the '
                    'configs warm up for 2 epochs)')
    return a


def _run(cmd: Sequence[str]) -> None:
    print('+', ' '.join(cmd), flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True)


def make_data(out: str, train: int, val: int, seed: int) -> None:
    """Generate a toy dataset unless ``out`` already holds one."""
    if osp.isfile(osp.join(out, 'val_list.txt')):
        return
    _run([sys.executable, 'tools/data/make_toy_dataset.py', out,
          '--videos-per-class', str(train), '--val-per-class', str(val),
          '--seed', str(seed)] + TOY_VARIANT)


def schedule_options(epochs: int) -> Dict[str, int]:
    """Options that give a toy config ``epochs`` epochs: its warm-up of 2
    epochs, then its cosine over the rest."""
    return {'train_cfg.max_epochs': epochs,
            'param_scheduler.1.T_max': epochs - 2,
            'param_scheduler.1.end': epochs}


def train(config: str, work_dir: str, options: Dict, seed: int) -> dict:
    """``tools/train.py`` unless ``work_dir`` holds a finished run.

    Returns:
        dict: What ``done.json`` records: ``wall_s``, the run's seconds.
    """
    done = osp.join(work_dir, 'done.json')
    if not osp.isfile(done):
        start = time.monotonic()
        _run([sys.executable, 'tools/train.py', config, '--work-dir',
              work_dir, '--seed', str(seed), '--overwrite', '--cfg-options',
              *(f'{k}={v}' for k, v in options.items())])
        with open(done, 'w') as f:
            json.dump(dict(wall_s=time.monotonic() - start), f)
    with open(done) as f:
        return json.load(f)


def vq_tokenizer(a: argparse.Namespace, pre_root: str) -> str:
    """The study's VQ tokenizer, trained on the pre-training videos once."""
    out = osp.join(a.work_dir, 'vq_tokenizer')
    checkpoint = osp.join(out, 'vq_tokenizer.pth')
    if not osp.isfile(checkpoint):
        _run([sys.executable, 'tools/train_vq_tokenizer.py',
              f'{pre_root}/train_list.txt', out] +
             [f'--{k.replace("_", "-")}={v}'
              for k, v in a.tokenizer_options.items()])
    return checkpoint


def last_checkpoint(work_dir: str) -> str:
    """Path of the checkpoint a finished run saved last."""
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def last_accuracy(work_dir: str) -> float:
    """Validation top-1 (percent) of a run's last validation.

    Raises:
        KeyError: If the run logged no validation top-1.
    """
    accs = [e['acc/top1'] for e in logged_scalars(work_dir)
            if 'acc/top1' in e]
    if not accs:
        raise KeyError(f'{work_dir}: no validation top-1 logged')
    return 100 * accs[-1]


def trajectory_losses(config: str, options: Dict, data_root: str,
                      checkpoint: str) -> Dict[str, float]:
    """``loss_traj`` of a checkpoint and of motion-blind predictors on the
    same 64 seeded pre-training clips."""
    spec = importlib.util.spec_from_file_location(
        'trajectory_loss_baselines',
        osp.join(ROOT, 'tools/analysis/trajectory_loss_baselines.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.merge_from_dict(options)
    cfg.train_dataloader.dataset.ann_file = f'{data_root}/train_list.txt'
    cfg.train_dataloader.dataset.data_prefix = dict(video=data_root)
    return tool.trajectory_loss_baselines(cfg, num_samples=64,
                                          checkpoint=checkpoint)


def run_arm(arm: str, seed: int, a: argparse.Namespace, pre_root: str,
            lab_root: str) -> dict:
    """Pre-train (unless ``random``), then fine-tune and probe one seed."""
    work_dir = osp.join(a.work_dir, arm, f'seed{seed}')
    result = dict(arm=arm, seed=seed)
    init = {'model.backbone.init_cfg': None}
    if ARMS[arm] is not None:
        config, arm_options = ARMS[arm]
        if Config.fromfile(osp.join(ROOT, config)).model.type == 'MAM2':
            arm_options = {**arm_options, 'model.target_generator.checkpoint':
                           vq_tokenizer(a, pre_root)}
        options = {'train_dataloader.dataset.ann_file':
                   f'{pre_root}/train_list.txt',
                   'train_dataloader.dataset.data_prefix.video': pre_root,
                   **schedule_options(a.pretrain_epochs), **arm_options,
                   **a.pretrain_options}
        pre_dir = osp.join(work_dir, 'pretrain')
        result['pretrain_wall_s'] = train(config, pre_dir, options,
                                          seed)['wall_s']
        checkpoint = last_checkpoint(pre_dir)
        init = {'model.backbone.init_cfg.checkpoint': checkpoint}
        if Config.fromfile(osp.join(ROOT, config)).model.type == 'MME' and \
                options.get('model.motion_head.loss_weight', 1) > 0:
            losses_file = osp.join(pre_dir, 'trajectory_losses.json')
            if not osp.isfile(losses_file):
                with open(losses_file, 'w') as f:
                    json.dump(trajectory_losses(
                        config, {**arm_options, **a.pretrain_options},
                        pre_root, checkpoint), f)
            with open(losses_file) as f:
                result['loss_traj'] = json.load(f)
    data = {}
    for split, ann in (('train', 'train_list.txt'), ('val', 'val_list.txt'),
                       ('test', 'val_list.txt')):
        data[f'{split}_dataloader.dataset.ann_file'] = f'{lab_root}/{ann}'
        data[f'{split}_dataloader.dataset.data_prefix.video'] = lab_root
    for name, config in TRANSFER.items():
        run_dir = osp.join(work_dir, name)
        train(config, run_dir, {**data, **schedule_options(a.finetune_epochs),
                                **init, **a.finetune_options}, seed)
        result[name] = last_accuracy(run_dir)
    return result


def summary(results: List[dict], a: argparse.Namespace) -> str:
    """Markdown table: one row per arm, mean (min-max) over seeds."""
    rows = [
        '| arm | fine-tune top-1 | linear-probe top-1 | loss_traj: model '
        '/ zero / visible mean | pre-training wall time (s) |',
        '|---|---|---|---|---|'
    ]
    for arm in a.arms:
        runs = [r for r in results if r['arm'] == arm]
        losses = [r['loss_traj'] for r in runs if 'loss_traj' in r]
        traj = ' / '.join(
            f"{statistics.mean(x[k] for x in losses):.3f}"
            for k in ('model', 'zero', 'visible mean')) if losses else '-'
        walls = [r['pretrain_wall_s'] for r in runs if 'pretrain_wall_s' in r]
        wall = f'{statistics.mean(walls):.0f}' if walls else '-'
        rows.append(f"| {arm} | {spread([r['finetune'] for r in runs], 1)} | "
                    f"{spread([r['probe'] for r in runs], 1)} | {traj} | "
                    f'{wall} |')
    rows.append(
        f'\nSeeds {a.seeds}; mean (min-max) over seeds of the last epoch\'s '
        f'validation top-1 on {9 * a.val_videos} videos (chance 11.1). '
        f'Pre-training: {9 * a.pretrain_videos} videos, {a.pretrain_epochs} '
        f'epochs; transfer: {9 * a.labelled_videos} labelled videos, '
        f'{a.finetune_epochs} epochs.')
    return '\n'.join(rows)


def main(argv: Optional[List[str]] = None) -> None:
    """CLI entry point."""
    a = parse_args(argv)
    # Absolute, because the steps run from the repository root.
    a.work_dir, a.data_root = map(osp.abspath, (a.work_dir, a.data_root))
    os.makedirs(a.work_dir, exist_ok=True)
    pre_root = osp.join(a.data_root, 'pretrain')
    lab_root = osp.join(a.data_root, 'labelled')
    make_data(pre_root, a.pretrain_videos, 0, seed=2)
    make_data(lab_root, a.labelled_videos, a.val_videos, seed=1)
    results = [run_arm(arm, seed, a, pre_root, lab_root)
               for arm in a.arms for seed in a.seeds]
    table = summary(results, a)
    print(table)
    with open(osp.join(a.work_dir, 'study.md'), 'w') as f:
        f.write(table + '\n')
    with open(osp.join(a.work_dir, 'study.json'), 'w') as f:
        json.dump(dict(settings=vars(a), results=results), f, indent=1)


if __name__ == '__main__':
    main()

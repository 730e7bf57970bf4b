"""Does MME pre-training help on the toy dataset? Measure it end to end.

1. Generates two toy datasets of 64 x 64 videos with a static camera
   (``tools/data/make_toy_dataset.py``): unlabelled videos for pre-training
   (seed 2) and a small labelled set with a validation split (seed 1).
2. Pre-trains ``configs/mme/vit-tiny_toy-transfer.py`` on the first.
3. Fine-tunes (``configs/recognition/vit-tiny_mme-pre_toy.py``) and
   linear-probes (``..._linear-probe_toy.py``) on the labelled set, once
   from the pre-trained encoder and once from random initialisation.
4. Prints the validation top-1 of the four runs (last and best epoch) as a
   Markdown table, and writes it to ``WORK_DIR/summary.md``.

Every step is a plain ``tools/train.py`` run whose log and checkpoints stay
in ``WORK_DIR/<step>``; finished steps (and existing datasets) are reused,
so an interrupted experiment resumes where it stopped.

Usage (defaults: about 70 minutes on 2 CPU cores):
    python tools/toy_transfer.py [--work-dir work_dirs/toy_transfer]
        [--data-root data] [--pretrain-videos 200] [--labelled-videos 40]
        [--val-videos 20] [--pretrain-options K=V ...]
        [--finetune-options K=V ...]
"""
import argparse
import glob
import importlib.util
import json
import os.path as osp
import subprocess
import sys
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PRETRAIN_CONFIG = 'configs/mme/vit-tiny_toy-transfer.py'
RUNS = {
    'fine-tune': 'configs/recognition/vit-tiny_mme-pre_toy.py',
    'linear probe': 'configs/recognition/vit-tiny_mme-pre_linear-probe_toy.py',
}
# The generator's settings that make the toy's motion learnable at toy scale
# (see configs/mme/vit-tiny_toy-transfer.py).
TOY_VARIANT = ['--height', '64', '--width', '64', '--max-pan', '0']


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--work-dir', default='work_dirs/toy_transfer')
    p.add_argument('--data-root', default='data',
                   help='parent of the toy_pre and toy_lab datasets')
    p.add_argument('--pretrain-videos', type=int, default=200,
                   help='unlabelled pre-training videos per class')
    p.add_argument('--labelled-videos', type=int, default=40,
                   help='labelled training videos per class')
    p.add_argument('--val-videos', type=int, default=20,
                   help='validation videos per class')
    p.add_argument('--pretrain-options', nargs='*', default=[],
                   help='extra --cfg-options of the pre-training')
    p.add_argument('--finetune-options', nargs='*', default=[],
                   help='extra --cfg-options of the four transfer runs')
    return p.parse_args(argv)


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


def train(config: str, work_dir: str, options: Sequence[str]) -> None:
    """``tools/train.py`` unless ``work_dir`` holds a finished run."""
    if osp.isfile(osp.join(work_dir, 'done')):
        return
    _run([sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
          '--cfg-options', *options])
    open(osp.join(work_dir, 'done'), 'w').close()


def last_checkpoint(work_dir: str) -> str:
    """Path of the checkpoint a finished run saved last."""
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def trajectory_losses(data_root: str, checkpoint: str) -> Dict[str, float]:
    """``loss_traj`` of the pre-trained model and of motion-blind predictors.

    All on the same 64 pre-training clips; see
    ``tools/analysis/trajectory_loss_baselines.py``.
    """
    spec = importlib.util.spec_from_file_location(
        'trajectory_loss_baselines',
        osp.join(ROOT, 'tools/analysis/trajectory_loss_baselines.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    cfg = Config.fromfile(osp.join(ROOT, PRETRAIN_CONFIG))
    cfg.train_dataloader.dataset.ann_file = f'{data_root}/train_list.txt'
    cfg.train_dataloader.dataset.data_prefix = dict(video=data_root)
    return tool.trajectory_loss_baselines(cfg, num_samples=64,
                                          checkpoint=checkpoint)


def logged_scalars(work_dir: str) -> List[dict]:
    """Entries of mmengine's ``<timestamp>/vis_data/scalars.json``.

    Reads the newest run in ``work_dir``.

    Raises:
        FileNotFoundError: If ``work_dir`` holds no such log.
    """
    logs = sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not logs:
        raise FileNotFoundError(f'{work_dir}: no vis_data/scalars.json')
    with open(logs[-1]) as f:
        return [json.loads(line) for line in f]


def final_loss(work_dir: str, key: str = 'loss_traj',
               fraction: float = 0.1) -> float:
    """Mean of the last ``fraction`` of a run's logged ``key`` values."""
    values = [e[key] for e in logged_scalars(work_dir) if key in e]
    if not values:
        raise KeyError(f'{work_dir}: no {key} logged')
    n = max(1, int(len(values) * fraction))
    return sum(values[-n:]) / n


def val_accuracy(work_dir: str) -> Dict[str, float]:
    """Top-1 of the last and of the best validation of a run.

    Returns:
        dict: ``last`` and ``best`` top-1 in percent, ``best_epoch``.

    Raises:
        KeyError: If the run logged no validation top-1.
    """
    accs = [(e['step'], 100 * e['acc/top1'])
            for e in logged_scalars(work_dir) if 'acc/top1' in e]
    if not accs:
        raise KeyError(f'{work_dir}: no validation top-1 logged')
    best_epoch, best = max(accs, key=lambda a: a[1])
    return dict(last=accs[-1][1], best=best, best_epoch=best_epoch)


def summary(results: Dict[str, Dict[str, float]], num_val: int,
            pretraining: str) -> str:
    """Markdown report: the pre-training's motion term, the transfer runs."""
    rows = [pretraining, '', '| run | val top-1, last epoch | best (epoch) |',
            '|---|---|---|']
    for name, acc in results.items():
        rows.append(f"| {name} | {acc['last']:.1f} | {acc['best']:.1f} "
                    f"({acc['best_epoch']}) |")
    rows.append(f'\n{num_val} validation videos; chance is 100 / 9 = 11.1.')
    return '\n'.join(rows)


def main(argv: Optional[List[str]] = None) -> None:
    """CLI entry point."""
    a = parse_args(argv)
    # Absolute, because the steps run from the repository root.
    a.work_dir, a.data_root = map(osp.abspath, (a.work_dir, a.data_root))
    pre_root = osp.join(a.data_root, 'toy_pre')
    lab_root = osp.join(a.data_root, 'toy_lab')
    make_data(pre_root, a.pretrain_videos, 0, seed=2)
    make_data(lab_root, a.labelled_videos, a.val_videos, seed=1)

    pre_dir = osp.join(a.work_dir, 'pretrain')
    pre_data = [
        f'train_dataloader.dataset.ann_file={pre_root}/train_list.txt',
        f'train_dataloader.dataset.data_prefix.video={pre_root}'
    ]
    train(PRETRAIN_CONFIG, pre_dir, pre_data + a.pretrain_options)
    checkpoint = last_checkpoint(pre_dir)
    losses_file = osp.join(pre_dir, 'trajectory_losses.json')
    if not osp.isfile(losses_file):
        with open(losses_file, 'w') as f:
            json.dump(trajectory_losses(pre_root, checkpoint), f)
    with open(losses_file) as f:
        losses = json.load(f)
    pretraining = (
        f"Pre-training: loss_traj on 64 of its clips {losses['model']:.3f}; "
        f"motion-blind predictors on the same clips: zero "
        f"{losses['zero']:.3f}, visible mean {losses['visible mean']:.3f} "
        f'(logged training loss_traj, mean of the last 10%: '
        f'{final_loss(pre_dir):.3f}).')

    data = []
    for split, ann in (('train', 'train_list.txt'), ('val', 'val_list.txt'),
                       ('test', 'val_list.txt')):
        data += [f'{split}_dataloader.dataset.ann_file={lab_root}/{ann}',
                 f'{split}_dataloader.dataset.data_prefix.video={lab_root}']
    results = {}
    for run, config in RUNS.items():
        for init, init_opt in (
                ('MME toy pre-training',
                 f'model.backbone.init_cfg.checkpoint={checkpoint}'),
                ('random init', 'model.backbone.init_cfg=None')):
            name = f'{run}, {init}'
            work_dir = osp.join(a.work_dir,
                                name.replace(', ', '_').replace(' ', '-'))
            train(config, work_dir, data + [init_opt, *a.finetune_options])
            results[name] = val_accuracy(work_dir)

    table = summary(results, 9 * a.val_videos, pretraining)
    print(table)
    with open(osp.join(a.work_dir, 'summary.md'), 'w') as f:
        f.write(table + '\n')


if __name__ == '__main__':
    main()

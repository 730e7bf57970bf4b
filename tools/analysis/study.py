"""Which target and which mask help? Every arm at one budget, on the toy.

Every arm pre-trains the toy encoder (ViT, 192 dims, 4 blocks, 8 x 64 x 64
clips) from the same clip store, for the same number of clips, then its
encoder is fine-tuned and linear-probed with one recipe for all; a random
initialisation is the floor. Per seed the seed also draws the data: the
pre-training videos, the labelled training and validation videos, and a
test set that no choice looked at (``tools/data/make_toy_dataset.py``;
``--toy-data``: 64 x 64 with a static camera by default).

How the arms are made (``docs/pretraining.md``):

- each arm is its method's ViT-B K400 config (same stride 4 and L = 4 as the
  toy) with the toy's encoder; every decoder-like part (decoders, MAM2's
  regressor) is scaled by the same ratios: width x 192 / 768, depth x 4 /
  12 (at least 1), heads x the width ratio (at least 1, rounded to divide
  the width); the prediction heads' hidden widths x 192 / 768;
- the clip store holds the frames and trajectories of the toy MME
  pipeline, drawn once per seed; each arm draws its own mask (its config's
  mask step) and packs the sample;
- one optimiser for all: each config's own wrapper (AdamW (0.9, 0.95),
  weight decay 0.05 and its exceptions; bf16 autocast where the CPU has
  it), ``--lr`` at batch ``--batch-size``, a warm-up of a fifteenth of the
  steps and a cosine to 5 %.

Seeds 0 and 1 for every arm, and 2 as well for the arms the verdict rests
on (``VERDICT_ARMS``); ``--seeds`` sets one list for all. Per arm and seed
one cell, ``--cells/<toy data>/<arm>/seed<S>.json`` (no
``<toy data>`` folder for the first study's default toy), is written when
it finishes and reused while the arm's settings and its losses on a fixed
batch (a fingerprint of the code it runs) are unchanged; the table is made
from the cells. A study interrupted on one machine continues from the
committed cells on another.

Usage:
    python tools/analysis/study.py [--arms A ...] [--seeds S ...]
        [--budget-clips N] [--pool N] [--cells DIR] [--work-dir DIR]
"""
import argparse
import copy
import json
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner import set_random_seed

import mme_mmaction  # noqa: F401  (registers the plugin)
from mmaction.registry import MODELS
from mme_mmaction.analysis.clip_store import ClipStore
from mme_mmaction.analysis.in_process import pretrain
from mme_mmaction.analysis.motion_scores import motion_scores
from mme_mmaction.analysis.study_cells import (load_cell, save_cell,
                                               settings_key)
from mme_mmaction.analysis.study_tables import (curve_table, study_table,
                                                write_table)
from mme_mmaction.analysis.target_scores import target_scores
from mme_mmaction.analysis.transfer import (encoder_weights, finetune,
                                            labelled_pool, linear_probe)
from mme_mmaction.datasets.pipeline_steps import (find_mask_step,
                                                  update_step,
                                                  with_motion_guided_mask)
from mme_mmaction.motion.storage import atomic_write

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MME = 'configs/mme/vitb_k400.py'
TOY = 'configs/mme/vit-tiny_toy.py'
TOY_MAM2 = 'configs/mam2/vit-tiny_toy_mam2.py'
RECOGNITION = 'configs/recognition/vit-tiny_mme-pre_toy.py'
#: ViT-B config, config options and motion-guided mask mode of every arm
#: (None: no pre-training), in the order the study runs them: what the
#: verdict and the default target rest on first.
ARMS: Dict[str, Optional[Tuple[str, Dict, Optional[str]]]] = {
    'random': None,
    'videomae': ('configs/videomae/vitb_k400_pixel.py', {}, None),
    'mme': (MME, {}, None),
    # The toy's target: raw pixels, with a linear output (a Tanh would cap
    # the prediction at 1 px).
    'mme_none': (MME, {'model.motion_generator.norm': 'none',
                       'model.motion_head.act_cfg': None}, None),
    'mme_exact': (MME, {'model.motion_generator.patch_std_min_std': 0.},
                  None),
    'mme_release': (MME, {'model.motion_generator.patch_std_min_std': 0.,
                          'model.motion_generator.whole_pixels': True}, None),
    'videomae_warp': ('configs/videomae/vitb_k400_pixel.py', {}, 'warp'),
    'mme_warp': (MME, {}, 'warp'),
    'hog': (MME, {'model.motion_head.loss_weight': 0.}, None),
    'traj': (MME, {'model.head.loss_weight': 0.}, None),
    'motionmae': ('configs/motionmae/vitb_k400_motionmae.py', {}, None),
    'mam2': ('configs/mam2/vitb_k400_mam2.py', {}, None),
    # Not the rule: the toy config's own MME, whose decoder (128 x 1, 4
    # heads) and heads (256 hidden) are wider than MME's ViT-B recipe
    # scaled (48 x 1, 128): a measure of what the rule costs MME.
    'mme_toy': (TOY, {}, None),
    'videomae_motion': ('configs/videomae/vitb_k400_pixel.py', {}, 'motion'),
    # Not the rule either: VideoMAE with mme_toy's decoder, its control.
    'videomae_toy': ('configs/videomae/vitb_k400_pixel.py',
                     {'model.neck.embed_dims': 128, 'model.neck.depth': 1,
                      'model.neck.num_heads': 4}, None),
    # mme_toy with the ViT-B default target: the target at those widths.
    'mme_toy_std': (TOY, {'model.motion_generator.norm': 'patch_std',
                          'model.motion_head.act_cfg': dict(
                              _delete_=True, type='Tanh')},
                    None),
}
#: The arms the verdict rests on, with a third seed: the floor, the pixel
#: baseline, MME as configured, the three MME arms that scored best over
#: two seeds, and the two that tell the best one's widths from its target.
VERDICT_ARMS = ('random', 'videomae', 'mme', 'mme_none', 'mme_release',
                'mme_toy', 'videomae_toy', 'mme_toy_std')
VIT_B = dict(embed_dims=768, depth=12)
TOY_CLASSES = 9  # tools/data/make_toy_dataset.py's motion classes
#: make_toy_dataset.py options of each ``--toy-data`` choice.
TOY_DATA = {'static64': ['--height', '64', '--width', '64', '--max-pan', '0'],
            'default': []}
DECODERS = ('neck', 'motion_neck', 'regressor')
HEADS = ('head', 'motion_head')


def build_parser() -> argparse.ArgumentParser:
    """The study's options (also the base of the tools that reuse its arms
    and data)."""
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--arms', nargs='+', default=list(ARMS), choices=ARMS)
    p.add_argument('--seeds', nargs='+', type=int,
                   help='seeds of every arm (default: 0 1 2 for the arms the '
                   'verdict rests on, 0 1 for the others)')
    p.add_argument('--budget-clips', type=int, default=57600,
                   help='pre-training clips per arm (steps x batch)')
    p.add_argument('--batch-size', type=int, default=16)
    p.add_argument('--lr', type=float, default=3e-4)
    p.add_argument('--pool', type=int, default=2000,
                   help='clips in the store, per seed')
    p.add_argument('--toy-data', choices=tuple(TOY_DATA), default='static64',
                   help='which toy videos: 64 x 64 with a static camera '
                   '(large objects; the motion term learns on them) or the '
                   'default 96 x 128 with a panning camera')
    p.add_argument('--pretrain-videos', type=int, default=200,
                   help='unlabelled videos per class, per seed')
    p.add_argument('--labelled-videos', type=int, default=100,
                   help='labelled training videos per class')
    p.add_argument('--val-videos', type=int, default=20,
                   help='validation (and test) videos per class')
    p.add_argument('--finetune-steps', type=int, default=1000)
    p.add_argument('--views', type=int, default=2,
                   help='augmented views per labelled training video')
    p.add_argument('--eval-clips', type=int, default=64,
                   help='held-out pre-training clips scoring the motion term')
    p.add_argument('--threads', type=int, default=os.cpu_count())
    p.add_argument('--cells', default='docs/study')
    p.add_argument('--work-dir', default='work_dirs/study')
    p.add_argument('--trajectories', choices=('online', 'stored'),
                   default='online', help='the store\'s trajectories: the '
                   'toy config\'s online flow, or files extracted once per '
                   'seed by tools/data/extract_trajectories.py (DIS medium '
                   'at native size, as make toy)')
    p.add_argument('--curve', choices=[a for a in ARMS if a.startswith(
        ('mme', 'traj'))], help='instead of the study: score this arm\'s '
        'motion term along one run of --budget-clips per seed, to choose '
        'the budget')
    p.add_argument('--curve-points', type=int, default=12)
    p.add_argument('--from-cells', action='store_true',
                   help='run nothing: make the table from the finished cells '
                   'that match (the others are left out)')
    p.add_argument('--table', help='Markdown file whose study table (between '
                   'the study markers) is replaced by the new one')
    return p


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = build_parser()
    a = p.parse_args(argv)
    if a.budget_clips < a.batch_size:
        p.error('--budget-clips must be at least one batch')
    return a


def scaled(part: Dict, width: int, depth: int) -> Dict:
    """A ViT-B decoder-like part scaled to an encoder of ``width`` x
    ``depth`` by the study's rule."""
    part = copy.deepcopy(part)
    ratio = width / VIT_B['embed_dims']
    if 'embed_dims' in part:
        part['embed_dims'] = max(1, round(part['embed_dims'] * ratio))
    own = part.get('embed_dims', width)
    part['depth'] = max(1, round(part['depth'] * depth / VIT_B['depth']))
    heads = max(1, round(part['num_heads'] * ratio))
    while own % heads:
        heads -= 1
    part['num_heads'] = heads
    return part


def scale_parts(model: Dict, width: int, depth: int) -> None:
    """Scale a ViT-B model's decoders, regressor and heads in place to an
    encoder of ``width`` x ``depth`` (:func:`scaled`; heads' hidden widths
    by the width ratio)."""
    for name in DECODERS:
        if model.get(name):
            model[name] = scaled(model[name], width, depth)
    for name in HEADS:
        if model.get(name, {}).get('hidden_channels'):
            model[name]['hidden_channels'] = round(
                model[name]['hidden_channels'] * width / VIT_B['embed_dims'])


def arm_config(arm: str, a: argparse.Namespace) -> Config:
    """The arm's ViT-B config at toy scale, in the study's recipe."""
    config, options, mask = ARMS[arm]
    cfg = Config.fromfile(osp.join(ROOT, config))
    toy = Config.fromfile(osp.join(ROOT, TOY))
    encoder = toy.model.backbone
    cfg.model.backbone.update(arch=encoder.arch, img_size=encoder.img_size,
                              num_frames=encoder.num_frames)
    if config != TOY:  # the toy config is at toy scale already
        scale_parts(cfg.model, encoder.arch.embed_dims, encoder.arch.depth)
    # After the scaling, so that an arm can set a size outside the rule.
    cfg.merge_from_dict(options)
    if cfg.model.type == 'MAM2':
        cfg.model.target_generator = Config.fromfile(
            osp.join(ROOT, TOY_MAM2)).model.target_generator
    own = cfg.train_dataloader.dataset.pipeline
    step = own[find_mask_step(own)]
    pipeline = copy.deepcopy(toy.train_dataloader.dataset.pipeline)
    pipeline[find_mask_step(pipeline)] = step
    if mask:
        pipeline = with_motion_guided_mask(pipeline, mask)
    cfg.train_dataloader = copy.deepcopy(toy.train_dataloader)
    cfg.train_dataloader.dataset.pipeline = pipeline
    cfg.train_dataloader.batch_size = a.batch_size
    cfg.optim_wrapper.optimizer.lr = a.lr
    return cfg


def make_data(out: str, videos: int, val: int, seed: int,
              options: List[str]) -> None:
    """A toy dataset (``--seed``, then ``options``), unless ``out`` holds
    one.

    Raises:
        ValueError: If ``out`` holds a dataset of other sizes.
    """
    lists = [osp.join(out, f'{split}_list.txt') for split in ('train', 'val')]
    if osp.isfile(lists[1]):
        found = []
        for path in lists:
            with open(path) as f:
                found.append(sum(1 for line in f if line.strip()))
        if found != [videos * TOY_CLASSES, val * TOY_CLASSES]:
            raise ValueError(
                f'{out} holds {found[0]} training and {found[1]} validation '
                f'videos, not {videos} and {val} per class: delete it or '
                'use another --work-dir.')
        return
    subprocess.run([
        sys.executable, 'tools/data/make_toy_dataset.py', out,
        '--videos-per-class', str(videos), '--val-per-class', str(val),
        '--seed', str(seed), *options
    ], cwd=ROOT, check=True)


def fingerprint(cfg: Config, store: ClipStore, tail: Compose) -> List[float]:
    """The arm's losses on the store's first two clips, fixed weights and
    masks: a change to what the arm computes changes them."""
    set_random_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    batch = model.data_preprocessor(
        pseudo_collate([store.sample(i, tail) for i in range(2)]), True)
    with torch.no_grad():
        losses = model(**batch, mode='loss')
    return [round(float(losses[k]), 6) for k in sorted(losses)]


def data_choice(a: argparse.Namespace) -> Dict[str, str]:
    """Settings of the data beyond the first study's (the default toy,
    online trajectories), so cells made before these options existed stay
    valid."""
    choice = {} if a.toy_data == 'default' else dict(toy_data=a.toy_data)
    if a.trajectories != 'online':
        choice['trajectories'] = a.trajectories
    return choice


def study_cells(a: argparse.Namespace) -> str:
    """Folder of the study's cells: ``--cells``, in a subfolder named for
    the toy data unless it is the first study's."""
    return a.cells if a.toy_data == 'default' else osp.join(
        a.cells, a.toy_data)


def toy_store(data: Dict[str, str], a: argparse.Namespace,
              seed: int) -> ClipStore:
    """The seed's clip store: the toy MME pipeline on its videos, tracking
    online or reading the seed's extracted trajectories."""
    cfg = Config.fromfile(osp.join(ROOT, TOY))
    pipeline = cfg.train_dataloader.dataset.pipeline
    if a.trajectories == 'stored':
        pipeline = update_step(
            update_step(pipeline, 'DecordDecodeWithTrajectoryFrames',
                        raw_frames=False), 'TrajectoryTarget',
            source=dict(type='stored', root=data['trajectories'],
                        video_root=data['pretrain']))
    cfg.train_dataloader.dataset.update(
        ann_file=f'{data["pretrain"]}/train_list.txt',
        data_prefix=dict(video=data['pretrain']), pipeline=pipeline)
    return ClipStore.build(cfg, f'{data["store"]}_{a.trajectories}', a.pool,
                           seed)


def arm_parts(arm: str, a: argparse.Namespace, data: Dict[str, str],
              seed: int) -> Tuple[Config, ClipStore, Compose]:
    """The arm's config (MAM2's with the seed's tokenizer), the seed's clip
    store and the steps the arm runs on a stored clip (its mask step on)."""
    cfg = arm_config(arm, a)
    if cfg.model.type == 'MAM2':
        cfg.model.target_generator.checkpoint = data['tokenizer']
    pipeline = cfg.train_dataloader.dataset.pipeline
    return cfg, toy_store(data, a, seed), Compose(
        pipeline[find_mask_step(pipeline):])


def recognition_config(data: Dict[str, str]) -> Config:
    """The toy fine-tuning config on the seed's labelled videos; its test
    split is the held-out set, read as the validation split is (one
    centre-cropped clip per video)."""
    cfg = Config.fromfile(osp.join(ROOT, RECOGNITION))
    cfg.test_dataloader.dataset.pipeline = cfg.val_dataloader.dataset.pipeline
    for split, (root, listing) in dict(
            train=(data['labelled'], 'train'), val=(data['labelled'], 'val'),
            test=(data['test'], 'val')).items():
        cfg[f'{split}_dataloader'].dataset.update(
            ann_file=f'{root}/{listing}_list.txt',
            data_prefix=dict(video=root))
    return cfg


def pretrained(arm: str, seed: int, a: argparse.Namespace,
               data: Dict[str, str], cfg: Config, store: ClipStore,
               tail: Compose, settings: Dict,
               prints: List[float]) -> Tuple[Dict, Dict]:
    """The arm's pre-trained encoder weights and what its pre-training
    measured, from ``<seed>/encoders/`` when one with the same pre-training
    settings and fingerprint is there (so a new transfer recipe re-runs
    only the transfer)."""
    transfer = ('views', 'finetune_steps', 'videos')
    key = settings_key({
        **{k: v for k, v in settings.items() if k not in transfer},
        **data_choice(a), 'pretrain_videos': a.pretrain_videos})
    path = osp.join(data['encoders'], f'{arm}-{key}.pth')
    if osp.isfile(path):
        saved = torch.load(path, map_location='cpu', weights_only=True)
        if saved['fingerprint'] == prints:
            print(f'{arm} seed {seed}: pre-trained encoder reused ({path})',
                  flush=True)
            return saved['weights'], saved['results']
    held_out = range(len(store) - a.eval_clips, len(store))
    run = pretrain(cfg, lambda i: store.sample(i, tail),
                   len(store) - a.eval_clips, a.budget_clips // a.batch_size,
                   seed, name=f'{arm} seed {seed}',
                   log=lambda text: print(text, flush=True))
    tail_steps = max(1, len(run['losses']['loss']) // 20)
    results = dict(
        pretrain_wall_s=run['wall_s'], precision=run['precision'],
        final_losses={k: sum(v[-tail_steps:]) / tail_steps
                      for k, v in run['losses'].items()})
    set_random_seed(seed)  # the held-out clips' masks, as curve's
    clips = [store.sample(i, tail) for i in held_out]
    results['targets'] = target_scores(run['model'], clips)
    if cfg.model.get('motion_generator', {}).get(
            'type') == 'TrajectoryTargetGenerator' and \
            cfg.model.motion_head.get('loss_weight', 1) > 0:
        results['motion'] = motion_scores(run['model'], clips)
    weights = encoder_weights(run['model'])
    saved = dict(weights=weights, results=results, fingerprint=prints)
    atomic_write(path, lambda tmp: torch.save(saved, tmp))
    return weights, results


def run_cell(arm: str, seed: int, a: argparse.Namespace,
             data: Dict[str, str]) -> Optional[Dict]:
    """One arm and seed: pre-train (unless ``random``), then transfer;
    the finished cell if one matches (with ``--from-cells`` only that, or
    None)."""
    settings = dict(arm=arm, budget=a.budget_clips, batch=a.batch_size,
                    lr=a.lr, pool=a.pool, views=a.views,
                    finetune_steps=a.finetune_steps,
                    eval_clips=a.eval_clips,
                    videos=[a.pretrain_videos, a.labelled_videos,
                            a.val_videos])
    prints: List[float] = []
    if ARMS[arm] is not None:
        cfg, store, tail = arm_parts(arm, a, data, seed)
        pipeline = cfg.train_dataloader.dataset.pipeline
        settings.update(model=cfg.model.to_dict(),
                        tail=pipeline[find_mask_step(pipeline):])
        prints = fingerprint(cfg, store, tail)
    key = settings_key({**settings, **data_choice(a)})
    cell = load_cell(study_cells(a), arm, seed, key, prints)
    if cell is not None or a.from_cells:
        print(f'{arm} seed {seed}: ' + ('finished cell reused' if cell else
                                        'no finished cell'), flush=True)
        return cell
    weights, results = None, {}
    if ARMS[arm] is not None:
        weights, results = pretrained(arm, seed, a, data, cfg, store, tail,
                                      settings, prints)
    recognition = recognition_config(data)
    train = labelled_pool(recognition, 'train', a.views, seed)
    pools = {split: labelled_pool(recognition, split, 1, seed)
             for split in ('val', 'test')}
    results['finetune'] = finetune(recognition, weights, train, pools,
                                   a.finetune_steps, seed,
                                   layer_decay=weights is not None)
    # The probe's features: every training video once, centre-cropped.
    probe = Config(recognition.to_dict())
    probe.train_dataloader.dataset.pipeline = \
        recognition.val_dataloader.dataset.pipeline
    results['probe'] = linear_probe(
        recognition, weights, labelled_pool(probe, 'train', 1, seed), pools,
        seed)
    return save_cell(study_cells(a), arm, seed, key, prints, results)


def curve(arm: str, seed: int, a: argparse.Namespace,
          data: Dict[str, str]) -> Dict:
    """The arm's motion term / zero on the held-out clips along one run of
    the whole budget (a cell of ``curve/<arm>/<budget>clips[/stored]``).

    A prefix of a run still has the learning rate of its middle, so the
    budget where it reaches a ratio is an upper bound of the budget a run
    of its own would need.
    """
    cfg = arm_config(arm, a)
    store = toy_store(data, a, seed)
    pipeline = cfg.train_dataloader.dataset.pipeline
    tail = Compose(pipeline[find_mask_step(pipeline):])
    settings = dict(arm=arm, budget=a.budget_clips, batch=a.batch_size,
                    lr=a.lr, pool=a.pool, eval_clips=a.eval_clips,
                    points=a.curve_points, videos=a.pretrain_videos,
                    model=cfg.model.to_dict(),
                    tail=pipeline[find_mask_step(pipeline):])
    key = settings_key({**settings, **data_choice(a)})
    prints = fingerprint(cfg, store, tail)
    # One folder per budget and store, so curves of several sit side by side.
    name = '/'.join(['curve', arm, f'{a.budget_clips}clips', *data_choice(
        a).values()])
    cell = load_cell(a.cells, name, seed, key, prints)
    if cell is not None:
        return cell
    set_random_seed(seed)  # the held-out clips' masks
    held_out = [store.sample(i, tail)
                for i in range(len(store) - a.eval_clips, len(store))]
    points = []

    def score(steps: int, model) -> None:
        points.append(dict(clips=steps * a.batch_size,
                           **motion_scores(model, held_out)))
        print(f'{arm} seed {seed}: {points[-1]["clips"]} clips, motion term '
              f'{points[-1]["model"] / points[-1]["zero"]:.3f} x zero',
              flush=True)

    steps = a.budget_clips // a.batch_size
    run = pretrain(cfg, lambda i: store.sample(i, tail),
                   len(store) - a.eval_clips, steps, seed,
                   name=f'{arm} seed {seed}',
                   log=lambda text: print(text, flush=True),
                   every=max(1, steps // a.curve_points), callback=score)
    return save_cell(a.cells, name, seed, key, prints,
                     dict(points=points, pretrain_wall_s=run['wall_s'],
                          precision=run['precision']))


def arm_seeds(a: argparse.Namespace) -> Dict[str, List[int]]:
    """The seeds of every arm: ``--seeds``, else three for
    :data:`VERDICT_ARMS` and two for the others."""
    return {arm: a.seeds or ([0, 1, 2] if arm in VERDICT_ARMS else [0, 1])
            for arm in a.arms}


def seed_data(seed: int, a: argparse.Namespace,
              tokenizer: bool = False) -> Dict[str, str]:
    """The seed's datasets, store folder and (with ``tokenizer``, for MAM2)
    VQ tokenizer."""
    root = osp.join(a.work_dir, f'seed{seed}' + (
        '' if a.toy_data == 'default' else f'-{a.toy_data}'))
    # Labelled sets named by their sizes, so a recipe with other sizes
    # makes its own next to the old.
    data = dict(pretrain=osp.join(root, 'pretrain'),
                labelled=osp.join(
                    root, f'labelled{a.labelled_videos}-{a.val_videos}'),
                test=osp.join(root, f'test{a.val_videos}'),
                store=osp.join(root, 'store'),
                encoders=osp.join(root, 'encoders'),
                tokenizer=osp.join(root, 'vq_tokenizer', 'vq_tokenizer.pth'),
                trajectories=osp.join(root, 'trajectories'))
    options = TOY_DATA[a.toy_data]
    make_data(data['pretrain'], a.pretrain_videos, 0, 100 + seed, options)
    make_data(data['labelled'], a.labelled_videos, a.val_videos, 200 + seed,
              options)
    make_data(data['test'], 0, a.val_videos, 300 + seed, options)
    if a.trajectories == 'stored':
        # Resumable: the tool skips videos whose files are complete.
        subprocess.run([
            sys.executable, 'tools/data/extract_trajectories.py',
            f'{data["pretrain"]}/train_list.txt', data['trajectories']
        ], cwd=ROOT, check=True)
    if tokenizer and not osp.isfile(data['tokenizer']):
        subprocess.run([
            sys.executable, 'tools/train_vq_tokenizer.py',
            f'{data["pretrain"]}/train_list.txt',
            osp.dirname(data['tokenizer'])
        ], cwd=ROOT, check=True)
    return data


def caption(cells: List[Dict], a: argparse.Namespace) -> str:
    """What the study's table measured, and where."""
    precisions = sorted({c['results'].get('precision', '-') for c in cells})
    return (
        f'Top-1 in percent, mean (min-max) over seeds; chance 11.1. '
        f'Toy data {a.toy_data}, {a.pretrain_videos} pre-training videos '
        f'per class. Budget {a.budget_clips} pre-training clips per arm '
        f'(batch {a.batch_size}, lr {a.lr}) from a pool of {a.pool} clips '
        f'per seed (each seen about '
        f'{a.budget_clips / (a.pool - a.eval_clips):.1f} times); '
        f'fine-tuning {a.finetune_steps} steps on {a.labelled_videos} '
        f'labelled videos per class x {a.views} views, validation and test '
        f'{a.val_videos} per class. Precision {", ".join(precisions)}; '
        f'commits {", ".join(sorted({c["commit"] for c in cells}))}; CPUs '
        f'{"; ".join(sorted({c["cpu"] for c in cells}))}.')


def main(argv: Optional[List[str]] = None) -> None:
    """CLI entry point."""
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    init_default_scope('mmaction')
    a.work_dir = osp.abspath(a.work_dir)
    if a.curve:
        print(curve_table([curve(a.curve, seed, a, seed_data(seed, a))
                           for seed in a.seeds or [0, 1]]))
        return
    seeds = arm_seeds(a)
    data = {seed: seed_data(seed, a, tokenizer=seed in seeds.get('mam2', []))
            for seed in sorted(set().union(*seeds.values()))}
    # Arm by arm, so a study cut short leaves whole arms.
    cells = [cell for cell in (run_cell(arm, seed, a, data[seed])
                               for arm in a.arms for seed in seeds[arm])
             if cell]
    text = study_table(cells, a.arms, caption(cells, a))
    print(text)
    if a.table:
        write_table(a.table, text)
    with open(osp.join(a.work_dir, 'study.json'), 'w') as f:
        json.dump(cells, f, indent=1)


if __name__ == '__main__':
    main()

"""The fine-tuning configs (configs/recognition): the recipes of
docs/method.md §7, models, pipelines on a real video, and one training
iteration each through tools/train.py (all configs in one subprocess, at
reduced size)."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmaction.registry import (DATASETS, MODELS, OPTIM_WRAPPER_CONSTRUCTORS,
                               PARAM_SCHEDULERS)
from mmengine.config import Config
from mmengine.dataset import Compose

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted((ROOT / 'configs' / 'recognition').glob('*.py'))
IDS = [p.stem for p in CONFIGS]

# The table of docs/method.md §7: (classes, base lr, epochs, flip, test
# clips, crops).
RECIPES = {
    'sthv2': (174, 5e-4, 30, False, 2, 3),
    'kinetics400': (400, 1e-3, 75, True, 7, 3),
    'ucf101': (101, 1e-3, 100, True, 10, 3),
    'hmdb51': (51, 1e-3, 100, True, 10, 3),
}
FINETUNE = [p for p in CONFIGS if p.stem.startswith('vit-base')
            and 'linear-probe' not in p.stem]


def load(path: Path) -> Config:
    cfg = Config.fromfile(str(path))
    cfg.model.backbone.init_cfg = None  # no checkpoint needed
    return cfg


def transform_types(pipeline):
    return [t['type'] for t in pipeline]


def find(pipeline, type_):
    matches = [t for t in pipeline if t['type'] == type_]
    return matches[0] if matches else None


def is_linear_probe(path: Path) -> bool:
    return 'linear-probe' in path.stem


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    """Two 80-frame 96 x 128 videos and a list file naming them."""
    from synthetic_video import moving_square, write_video
    root = tmp_path_factory.mktemp('videos')
    write_video(root / 'a.mp4', moving_square(num_frames=80))
    write_video(root / 'b.mp4',
                moving_square(num_frames=80, velocity=(-2., 1.), seed=3))
    (root / 'list.txt').write_text('a.mp4 0\nb.mp4 1\n')
    return root


def test_every_recipe_has_a_config():
    stems = [p.stem for p in FINETUNE]
    for dataset in RECIPES:
        assert any(dataset in s for s in stems), dataset
    assert 'vit-base-p16_mme-pre_linear-probe_16x4x1_kinetics400' in IDS
    assert 'vit-tiny_mme-pre_toy' in IDS
    assert 'vit-tiny_mme-pre_linear-probe_toy' in IDS


@pytest.mark.parametrize('path', FINETUNE, ids=lambda p: p.stem)
def test_finetune_config_follows_method_recipe(path):
    cfg = Config.fromfile(str(path))
    dataset = next(d for d in RECIPES if d in path.stem)
    classes, lr, epochs, flip, clips, crops = RECIPES[dataset]

    backbone, head = cfg.model.backbone, cfg.model.cls_head
    assert (backbone.type, backbone.embed_dims, backbone.depth,
            backbone.num_heads, backbone.num_frames,
            backbone.img_size) == ('VisionTransformer', 768, 12, 12, 16, 224)
    assert backbone.qkv_bias and backbone.use_mean_pooling
    assert backbone.drop_path_rate == 0.1
    assert backbone.norm_cfg.eps == 1e-6
    assert backbone.init_cfg.type == 'Pretrained'
    assert backbone.init_cfg.prefix == 'backbone.'
    assert backbone.init_cfg.checkpoint.endswith('.pth')
    assert head.type == 'TimeSformerHead' and head.num_classes == classes
    assert head.label_smooth_eps == 0.1 and head.average_clips == 'prob'
    blending = cfg.model.data_preprocessor.blending
    assert [(b.type, b.alpha, b.num_classes) for b in blending.augments] == [
        ('MixupBlending', 0.8, classes), ('CutmixBlending', 1, classes)]

    wrapper = cfg.optim_wrapper
    assert wrapper.type == 'MixedPrecisionOptimWrapper'
    assert wrapper.constructor == 'LayerDecayOptimWrapperConstructor'
    assert wrapper.paramwise_cfg == dict(layer_decay_rate=0.75)
    # The recipe's lr is per 256 videos; the config's is for its usage
    # line's 8 GPUs x batch_size videos, scaled only on request (MMAction2).
    batch = 8 * cfg.train_dataloader.batch_size
    assert batch == 64
    assert cfg.auto_scale_lr == dict(enable=False, base_batch_size=batch)
    lr = lr * batch / 256
    assert (wrapper.optimizer.type, wrapper.optimizer.lr,
            tuple(wrapper.optimizer.betas),
            wrapper.optimizer.weight_decay) == ('AdamW', lr, (0.9, 0.999),
                                                0.05)
    warmup, cosine = cfg.param_scheduler
    assert (warmup.type, warmup.begin, warmup.end) == ('LinearLR', 0, 5)
    assert (cosine.type, cosine.begin, cosine.end,
            cosine.T_max) == ('CosineAnnealingLR', 5, epochs, epochs - 5)
    # min lr 1e-6 x bs/256, relative to the base lr so that it scales.
    assert cosine.eta_min_ratio * lr == pytest.approx(1e-6 * batch / 256)
    assert 'eta_min' not in cosine
    for scheduler in (warmup, cosine):
        assert scheduler.by_epoch and scheduler.convert_to_iter_based
    assert cfg.train_cfg.max_epochs == epochs
    assert cfg.default_hooks.checkpoint.save_best == 'acc/top1'
    assert cfg.val_evaluator.type == 'AccMetric'

    train = cfg.train_dataloader
    assert train.dataset.type == 'CheckedRepeatAugDataset'
    assert train.dataset.num_repeats == 2
    assert train.collate_fn.type == 'repeat_pseudo_collate'
    pipeline = train.dataset.pipeline
    randaug = find(pipeline, 'TorchVisionWrapper')
    assert (randaug.op, randaug.magnitude,
            randaug.num_ops) == ('RandAugment', 7, 4)
    assert tuple(find(pipeline, 'RandomResizedCrop').area_range) == (0.25, 1)
    erasing = find(pipeline, 'RandomErasing')
    assert (erasing.erase_prob, erasing.mode) == (0.25, 'rand')
    assert (find(pipeline, 'Flip') is not None) == flip
    test = cfg.test_dataloader.dataset.pipeline
    assert test[1].num_clips == clips and test[1].test_mode
    assert find(test, 'ThreeCrop').crop_size == 224 and crops == 3
    assert 'Flip' not in transform_types(cfg.val_dataloader.dataset.pipeline)


@pytest.mark.parametrize('path', CONFIGS, ids=IDS)
def test_config_builds_model_and_pipelines(path, videos):
    cfg = load(path)
    model = MODELS.build(cfg.model)
    backbone = cfg.model.backbone
    frames, size = backbone.num_frames, backbone.img_size
    assert model.cls_head.fc_cls.in_features == backbone.embed_dims
    blending = cfg.model.data_preprocessor.get('blending')
    if blending is not None:
        for augment in blending.augments:
            assert augment.num_classes == cfg.model.cls_head.num_classes

    sample = dict(filename=str(videos / 'a.mp4'), label=0, start_index=0,
                  modality='RGB')
    np.random.seed(0)
    torch.manual_seed(0)
    train = cfg.train_dataloader.dataset
    if train.type == 'CheckedRepeatAugDataset':
        # The dataset's own loading: one decode, two augmented copies.
        train = dict(train, ann_file=str(videos / 'list.txt'),
                     data_prefix=dict(video=str(videos)))
        copies = DATASETS.build(train)[0]
        assert len(copies) == train['num_repeats'] == 2
        assert all(c['inputs'].shape == (1, 3, frames, size, size)
                   for c in copies)
        assert not torch.equal(copies[0]['inputs'], copies[1]['inputs'])
    else:
        out = Compose(train.pipeline)(dict(sample))
        assert out['inputs'].shape == (1, 3, frames, size, size)

    out = Compose(cfg.val_dataloader.dataset.pipeline)(dict(sample))
    assert out['inputs'].shape == (1, 3, frames, size, size)

    test = cfg.test_dataloader.dataset.pipeline
    views = test[1]['num_clips'] * (3 if find(test, 'ThreeCrop') else 1)
    out = Compose(test)(dict(sample))
    assert out['inputs'].shape == (views, 3, frames, size, size)


@pytest.mark.filterwarnings('ignore:Detected call of `scheduler.step')
@pytest.mark.parametrize(
    'path', [p for p in CONFIGS if is_linear_probe(p)], ids=lambda p: p.stem)
def test_linear_probe_optimizer_freezes_the_backbone(path):
    cfg = load(path)
    # No mixup, label smoothing or extra augmentation in a probe.
    assert cfg.model.data_preprocessor.get('blending') is None
    assert cfg.model.cls_head.label_smooth_eps == 0
    assert cfg.model.backbone.drop_path_rate == 0
    assert cfg.train_dataloader.dataset.type == 'CheckedVideoDataset'
    assert {'TorchVisionWrapper', 'RandomErasing'}.isdisjoint(
        transform_types(cfg.train_dataloader.dataset.pipeline))
    # The schedule must scale each group's lr: an absolute eta_min would
    # unfreeze the backbone.
    assert all('eta_min' not in s for s in cfg.param_scheduler)

    # Freezing depends on names only: a 1-block encoder on a tiny input.
    cfg.model.backbone.update(depth=1, img_size=32, num_frames=2)
    model = MODELS.build(cfg.model)
    wrapper_cfg = cfg.optim_wrapper.copy()
    wrapper_cfg.type = 'OptimWrapper'  # fp32 for an exact comparison
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(type=wrapper_cfg.pop('constructor',
                                  'DefaultOptimWrapperConstructor'),
             optim_wrapper_cfg=wrapper_cfg,
             paramwise_cfg=wrapper_cfg.pop('paramwise_cfg', None)))
    wrapper = constructor(model)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    inputs = torch.randn(2, 3, 2, 32, 32)
    for _ in range(2):
        loss = model.cls_head(model.backbone(inputs)).logsumexp(1).mean()
        wrapper.update_params(loss)
    after = model.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed == {'cls_head.fc_cls.weight', 'cls_head.fc_cls.bias'}

    # The schedule (warm-up, then cosine) keeps the frozen groups at lr 0.
    head = {id(p) for p in model.cls_head.parameters()}
    schedulers = []
    for scheduler in cfg.param_scheduler:
        scheduler = scheduler.copy()
        scheduler.pop('convert_to_iter_based')
        schedulers.append(PARAM_SCHEDULERS.get(
            scheduler.pop('type')).build_iter_from_epoch(
                wrapper, epoch_length=2, **scheduler))
    for _ in range(2 * cfg.train_cfg.max_epochs):
        for scheduler in schedulers:
            scheduler.step()
        for group in wrapper.optimizer.param_groups:
            trains = any(id(p) in head for p in group['params'])
            assert (group['lr'] > 0) == trains


# --- one training iteration per config, through tools/train.py -------------

# Runs tools/train.py once per config inside one interpreter (imports cost
# seconds), and reports each run's outcome on a marker line.
DRIVER = r'''
import json, runpy, sys, traceback
for name, argv in json.loads(sys.argv[1]):
    sys.argv = ['tools/train.py'] + argv
    try:
        runpy.run_path('tools/train.py', run_name='__main__')
        status = 'OK'
    except BaseException as error:  # SystemExit too
        traceback.print_exc(file=sys.stdout)
        status = f'FAIL {type(error).__name__}: {error}'.replace('\n', ' ')
    print(f'@@RESULT {name} {status}', flush=True)
'''


def reduced_options(cfg: Config, videos: Path, work_dir: Path) -> list:
    """One tiny epoch on two videos; a 1-block encoder, ViT-B at 96 dims."""
    options = [
        'model.backbone.init_cfg=None', 'model.backbone.depth=1',
        f'train_dataloader.dataset.ann_file={videos}/list.txt',
        f'train_dataloader.dataset.data_prefix.video={videos}',
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        f'val_dataloader.dataset.ann_file={videos}/list.txt',
        f'val_dataloader.dataset.data_prefix.video={videos}',
        'val_dataloader.batch_size=2', 'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False', 'train_cfg.max_epochs=1',
        'train_cfg.val_interval=1', 'default_hooks.logger.interval=1'
    ]
    if cfg.model.backbone.embed_dims > 192:
        # ViT-B's frames and size, narrower: the pipeline stays the real one.
        options += [
            'model.backbone.embed_dims=96', 'model.backbone.num_heads=2',
            'model.cls_head.in_channels=96'
        ]
    return ['--work-dir', str(work_dir), '--cfg-options'] + options


@pytest.fixture(scope='module')
def training_runs(videos, tmp_path_factory):
    """{config stem: (status, log of its run)} for every config."""
    work = tmp_path_factory.mktemp('work')
    runs = [(p.stem, [str(p)] + reduced_options(
        Config.fromfile(str(p)), videos, work / p.stem)) for p in CONFIGS]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, '-c', DRIVER, json.dumps(runs)], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=600)
    log = result.stdout + result.stderr
    outcomes, start = {}, 0
    for match in re.finditer(r'^@@RESULT (\S+) (.*)$', result.stdout, re.M):
        outcomes[match.group(1)] = (match.group(2),
                                    result.stdout[start:match.start()])
        start = match.end()
    assert len(outcomes) == len(CONFIGS), log[-4000:]
    return outcomes


@pytest.mark.parametrize('path', CONFIGS, ids=IDS)
def test_config_trains_one_iteration(path, training_runs):
    status, log = training_runs[path.stem]
    assert status == 'OK', log[-4000:]
    assert 'Epoch(train) [1][1/1]' in log and 'loss_cls' in log
    assert 'Epoch(val) [1]' in log and 'acc/top1' in log
    assert 'best checkpoint' in log

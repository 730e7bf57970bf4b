"""Every config builds; the ViT-B SSv2 config trains one iteration."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmaction.registry import MODELS
from mmengine.config import Config
from mmengine.dataset import Compose

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = [
    p for method in ('mme', 'videomae', 'motionmae', 'mam2', 'mgmae')
    for p in sorted((ROOT / 'configs' / method).glob('*.py'))
    if not p.name.startswith('vit-base-p16_mme-pretrain')  # aliases
]


def _videos(dataset):
    """The dataset config below any wrappers (e.g. RepeatDataset)."""
    while 'dataset' in dataset:
        dataset = dataset.dataset
    return dataset


def _extract_stored_targets(steps, video: Path) -> None:
    """For a pipeline reading stored trajectories: extract ``video``'s with
    tools/data/extract_trajectories.py and point the source at them."""
    by_type = {step.type: step for step in steps}
    # The pipeline's one traj_len: the decode step's, else frame_interval.
    traj_len = (by_type['DecordDecodeWithTrajectoryFrames'].get('traj_len')
                or by_type['SampleFrames'].frame_interval
                if 'DecordDecodeWithTrajectoryFrames' in by_type else None)
    for step in steps:
        source = step.get('source', {})
        if source.get('type') != 'stored':
            continue
        listing = video.parent / 'list.txt'
        listing.write_text(f'{video.name} 0\n')
        out = video.parent / 'trajectories'
        subprocess.run([
            sys.executable, str(ROOT / 'tools/data/extract_trajectories.py'),
            str(listing), str(out), '--traj-len', str(traj_len)
        ], check=True, capture_output=True, cwd=ROOT)
        source.update(root=str(out), video_root=str(video.parent))


def _with_tiny_vqgan(cfg: Config, tmp_path: Path) -> Config:
    """A MAM2 config's tokenizer swapped for a random tiny VQGAN (the
    configs name checkpoints that tests do not have)."""
    if cfg.model.type == 'MAM2':
        from vqgan_checkpoints import TINY_DDCONFIG, save_random_vqgan
        save_random_vqgan(tmp_path / 'vqgan.ckpt')
        cfg.model.target_generator.update(
            checkpoint=str(tmp_path / 'vqgan.ckpt'), ddconfig=TINY_DDCONFIG,
            embed_dim=8, n_embed=32)
    return cfg


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.name)
def test_config_builds_model_and_pipeline(path, tmp_path):
    from synthetic_video import moving_square, write_video
    cfg = _with_tiny_vqgan(Config.fromfile(str(path)), tmp_path)
    model = MODELS.build(cfg.model)
    backbone = cfg.model.backbone
    frames = backbone.num_frames
    size = backbone.img_size
    # A clip long enough for the config's sampling, through its pipeline.
    video = write_video(tmp_path / 'clip.mp4', moving_square(num_frames=80))
    dataset = _videos(cfg.train_dataloader.dataset)
    _extract_stored_targets(dataset.pipeline, video)
    pipeline = Compose(dataset.pipeline)
    np.random.seed(0)
    sample = pipeline(dict(filename=str(video), label=0, start_index=0,
                           modality='RGB'))
    assert sample['inputs'].shape == (1, 3, frames, size, size)
    data = sample['data_samples']
    tokens = frames // 2 * (size // 16)**2
    assert data.mask.shape == (tokens, ) == (model.neck.num_tokens, )
    if cfg.model.type == 'MME':
        traj_len = model.motion_generator.traj_len
        assert data.trajectories.shape == (frames // 2, traj_len, 2,
                                           size // 8, size // 8)
        assert model.motion_head.pred[2].out_features == \
            model.motion_generator.out_channels
    # The packed sample goes through the model's preprocessor and loss.
    with torch.no_grad():
        batch = model.data_preprocessor(
            dict(inputs=[sample['inputs']], data_samples=[data]), True)
        losses = model(**batch, mode='loss')
    assert all(torch.isfinite(v) and v > 0 for v in losses.values())


ARCHS = dict(base=dict(embed_dims=768, depth=12, num_heads=12))


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.name)
def test_encoder_loads_into_stock_vision_transformer(path):
    """The pre-trained encoder loads, key for key, into the stock backbone of
    the fine-tuning configs; the small ones also give equal features (a
    ViT-B forward costs seconds)."""
    from mmaction.models.backbones import VisionTransformer
    cfg = Config.fromfile(str(path)).model.backbone
    arch = ARCHS[cfg.arch] if isinstance(cfg.arch, str) else cfg.arch
    torch.manual_seed(0)
    encoder = MODELS.build(cfg).eval()
    stock = VisionTransformer(
        **arch, img_size=cfg.img_size, num_frames=cfg.num_frames,
        use_mean_pooling=False).eval()
    stock.load_state_dict(encoder.state_dict())
    if arch['embed_dims'] > 192:
        return
    clip = torch.randn(1, 3, cfg.num_frames, cfg.img_size, cfg.img_size)
    with torch.no_grad():
        torch.testing.assert_close(stock(clip), encoder(clip)[:, 0])


@pytest.mark.parametrize('config', [
    'configs/mme/vitb_ssv2.py', 'configs/mme/vitb_k400.py',
    'configs/videomae/vitb_k400_pixel.py',
    'configs/videomae/vitb_ssv2_pixel.py',
    'configs/mgmae/vitb_k400_mgmae.py', 'configs/mgmae/vitb_ssv2_mgmae.py',
    'configs/mme/vitb_ssv2_warp-mask.py',
    'configs/mme/vitb_ssv2_motion-mask.py',
    'configs/mgmae/vit-tiny_toy_mgmae.py',
    'configs/mme/vit-tiny_toy_warp-mask.py',
    'configs/mme/vit-tiny_real-clips.py',
    'configs/motionmae/vitb_ssv2_motionmae.py',
    'configs/motionmae/vitb_k400_motionmae.py',
    'configs/mam2/vitb_ssv2_mam2.py', 'configs/mam2/vitb_k400_mam2.py'
])
def test_pre_training_trains_one_iteration_on_a_real_video(config,
                                                           tmp_path):
    cfg = Config.fromfile(str(ROOT / config))
    if cfg.model.type == 'MAM2':  # ViT-B with a reduced VQGAN
        cfg = _with_tiny_vqgan(cfg, tmp_path)
        config = str(tmp_path / 'mam2.py')
        cfg.dump(config)
    if '/vitb_' in config:
        encoder = MODELS.build(cfg.model.backbone)
        assert 85e6 < sum(p.numel() for p in encoder.parameters()) < 88e6
        del encoder

    from synthetic_video import moving_square, write_video
    write_video(tmp_path / 'a.mp4', moving_square(num_frames=80))
    (tmp_path / 'list.txt').write_text('a.mp4 0\n')
    result = subprocess.run(
        [sys.executable, 'tools/train.py', config,
         '--work-dir', str(tmp_path / 'work'), '--cfg-options',
         f'train_dataloader.dataset.ann_file={tmp_path}/list.txt',
         f'train_dataloader.dataset.data_prefix.video={tmp_path}',
         'train_dataloader.batch_size=1', 'train_dataloader.num_workers=0',
         'train_dataloader.persistent_workers=False',
         'train_cfg.max_epochs=1', 'default_hooks.logger.interval=1',
         'default_hooks.checkpoint.save_last=False'],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    assert 'Epoch(train) [1][1/1]' in log and ' loss: ' in log


@pytest.mark.parametrize('alias, short', [
    ('vit-base-p16_mme-pretrain_16x2x1_400e_sthv2.py', 'vitb_ssv2.py'),
    ('vit-base-p16_mme-pretrain_16x4x1_1600e_kinetics400.py', 'vitb_k400.py'),
])
def test_openmmlab_names_are_the_short_configs(alias, short):
    configs = ROOT / 'configs' / 'mme'
    assert Config.fromfile(str(configs / alias)).to_dict() == \
        Config.fromfile(str(configs / short)).to_dict()


ALL_CONFIGS = sorted(p for p in (ROOT / 'configs').rglob('*.py')
                     if '_base_' not in p.parts)


def test_config_names_are_unique():
    """mim finds a config by its file name alone."""
    names = [p.name for p in ALL_CONFIGS]
    assert len(names) == len(set(names))


@pytest.mark.parametrize('path', ALL_CONFIGS,
                         ids=lambda p: str(p.relative_to(ROOT / 'configs')))
def test_every_pipeline_decodes_with_errors_that_name_the_video(path):
    """Checked opening and decoding everywhere: an unreadable video stops a
    run with its name, or is skipped with on_bad_input='skip'."""
    cfg = Config.fromfile(str(path))
    pipelines = [_videos(cfg[key].dataset).pipeline for key in (
        'train_dataloader', 'val_dataloader', 'test_dataloader')
        if cfg.get(key)]
    assert pipelines
    for pipeline in pipelines:
        types = [step['type'] for step in pipeline]
        assert types[0] == 'CheckedDecordInit', types
        assert 'DecordInit' not in types and 'DecordDecode' not in types
        assert {'CheckedDecordDecode',
                'DecordDecodeWithTrajectoryFrames'} & set(types), types
    assert cfg.runner_type == 'AnyDeviceRunner'
    assert dict(type='FiniteLossHook') in cfg.custom_hooks


@pytest.mark.parametrize(
    'path', sorted((ROOT / 'configs' / 'videomae').glob('*.py')),
    ids=lambda p: p.name)
def test_videomae_configs_use_videomaes_own_recipe(path):
    """Decoder 384 wide, 4 blocks, 6 heads; tube masking at 0.9."""
    cfg = Config.fromfile(str(path))
    decoder = MODELS.build(cfg.model).neck
    assert len(decoder.blocks) == 4
    assert decoder.embed_dims == 384
    assert decoder.blocks[0].attn.num_heads == 6
    masks = [t for t in cfg.train_dataloader.dataset.pipeline
             if t['type'] == 'TubeMaskGenerator']
    assert [t['mask_ratio'] for t in masks] == [0.9]


def test_the_faithful_toy_config_gives_methods_target():
    """PatchStd's example (docs/method.md §4.4) through the config's model."""
    cfg = Config.fromfile(str(ROOT / 'configs/mme/vit-tiny_toy_faithful.py'))
    model = MODELS.build(cfg.model)
    assert isinstance(model.motion_head.pred[-1], torch.nn.Tanh)
    traj = torch.zeros(1, 1, model.motion_generator.traj_len, 2, 2, 2)
    traj[0, 0, :, 0, 1, 1] = 1.  # one of the 4 cells moves 1 px right
    model.motion_generator.token_grid = None  # one token, not the toy's grid
    target, validity = model.motion_generator.targets(
        traj, torch.ones(1, 1, 2, 2, dtype=torch.bool))
    dx = target[0, 0].reshape(2, -1, 4)[0]
    torch.testing.assert_close(
        dx, torch.tensor([-0.49998, -0.49998, -0.49998,
                          1.49994]).expand_as(dx), atol=5e-6, rtol=0)
    assert target[0, 0].reshape(2, -1, 4)[1].abs().max() == 0


@pytest.mark.parametrize('dataset', ['k400', 'ssv2'])
def test_methods_are_one_model_line_apart(dataset):
    """Beside the model, the sibling configs differ from MME's only in
    the data (no trajectories) and, for MotionMAE, the mask step."""
    paths = {'mme': f'configs/mme/vitb_{dataset}.py',
             'motionmae': f'configs/motionmae/vitb_{dataset}_motionmae.py'}
    if dataset == 'k400':
        paths['videomae'] = 'configs/videomae/vitb_k400_pixel.py'
    cfgs = {name: Config.fromfile(str(ROOT / path)).to_dict()
            for name, path in paths.items()}
    steps = {name: [s['type'] for s in cfg['train_pipeline']]
             for name, cfg in cfgs.items()}
    assert steps['motionmae'][6] == 'SliceRandomMaskGenerator'
    assert {'DecordDecodeWithTrajectoryFrames', 'TrajectoryTarget'} <= set(
        steps['mme']) and 'TrajectoryTarget' not in steps['motionmae']
    for cfg in cfgs.values():
        for key in ('model', 'train_pipeline', 'train_dataloader'):
            cfg.pop(key)
    assert all(cfg == cfgs['mme'] for cfg in cfgs.values())
    if dataset == 'k400':
        pixel = Config.fromfile(str(ROOT / paths['videomae']))
        sibling = Config.fromfile(str(ROOT / paths['motionmae']))
        differs = [i for i, (a, b) in enumerate(
            zip(pixel.train_pipeline, sibling.train_pipeline)) if a != b]
        assert differs == [6]


@pytest.mark.parametrize(
    'path', [p for p in CONFIGS if p.name.startswith('vitb_')],
    ids=lambda p: p.name)
def test_vitb_lr_is_for_the_usage_lines_batch_and_scaling_is_opt_in(path):
    """MMAction2's convention: the config's lr is the recipe's (1.5e-4 per
    256 clips) at the batch its usage line trains, auto_scale_lr off."""
    usage = next(line for line in path.read_text().splitlines()
                 if 'tools/dist_train.sh' in line)
    gpus = int(usage.split()[-1])
    cfg = Config.fromfile(path)
    batch = gpus * cfg.train_dataloader.batch_size
    assert cfg.auto_scale_lr == dict(enable=False, base_batch_size=batch)
    assert cfg.optim_wrapper.optimizer.lr == pytest.approx(1.5e-4 * batch /
                                                           256)


@pytest.mark.parametrize(
    'path', [p for p in CONFIGS if 'toy' in p.name] + sorted(
        (ROOT / 'configs' / 'recognition').glob('vit-tiny_*.py')),
    ids=lambda p: p.name)
def test_toy_lr_is_for_its_one_process_batch(path):
    """A toy config trains in one process: its lr is set for its batch, and
    the logged 'configured for batch' names that batch."""
    cfg = Config.fromfile(path)
    assert cfg.auto_scale_lr == dict(
        enable=False, base_batch_size=cfg.train_dataloader.batch_size)

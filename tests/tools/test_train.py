"""End to end: tools/train.py and tools/dist_train.sh on the toy config,
then the checkpoint's encoder in a stock MMAction2 recognizer."""
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmaction.registry import MODELS
from mmengine.config import Config

from mme_mmaction.datasets.pipeline_steps import find_step
from tool_modules import load_tool, small_toy_dataset
from toy_recognizer import RECOGNIZER_CONFIG

ROOT = Path(__file__).resolve().parents[2]
TOY_CONFIG = str(ROOT / 'configs/mme/vit-tiny_toy.py')


@pytest.fixture(scope='module')
def toy_data(tmp_path_factory):
    return small_toy_dataset(tmp_path_factory.mktemp('toy'))


def small_run_options(data, work_dir):
    """A two-block encoder, batches of 3 over 9 videos: 3 iterations."""
    return [
        '--work-dir', str(work_dir), '--cfg-options',
        f'train_dataloader.dataset.ann_file={data}/train_list.txt',
        f'train_dataloader.dataset.data_prefix.video={data}',
        'train_dataloader.batch_size=3', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'train_cfg.max_epochs=1',
        'model.backbone.arch.depth=2', 'default_hooks.logger.interval=1'
    ]


def run(command, **env):
    env = dict(os.environ, PYTHONPATH=str(ROOT), **env)
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[
        -3000:]
    return result.stdout + result.stderr


def losses(log):
    return [float(x) for x in re.findall(r' loss: ([0-9.]+)', log)]


@pytest.fixture(scope='module')
def single_process_run(toy_data, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('train')
    log = run([sys.executable, 'tools/train.py', TOY_CONFIG] +
              small_run_options(toy_data, work_dir))
    return work_dir, log


def test_train_py_trains_and_saves_a_checkpoint(single_process_run):
    work_dir, log = single_process_run
    assert len(losses(log)) == 3 and all(x > 0 for x in losses(log))
    assert (work_dir / 'epoch_1.pth').exists()
    # 9 clips of 4 tubelets; the toy videos have no cuts.
    assert 'Trajectory check, epoch 1: 0 of 36 tubelets span a shot cut' in log
    assert 'Checkpoints and logs are in' in log


def test_make_toys_offline_config_trains_on_extracted_trajectories(
        toy_data, tmp_path):
    """`make toy`'s path: trajectories extracted once, then read by the
    config's stored source; every clip's target is found (no skips)."""
    traj = tmp_path / 'trajectories'
    run([sys.executable, 'tools/data/extract_trajectories.py',
         f'{toy_data}/train_list.txt', str(traj)])
    inner = 'train_dataloader.dataset.dataset'
    config = Config.fromfile(ROOT / 'configs/mme/vit-tiny_toy_offline.py')
    target = find_step(config.train_dataloader.dataset.dataset.pipeline,
                       'TrajectoryTarget')
    log = run([
        sys.executable, 'tools/train.py',
        str(ROOT / 'configs/mme/vit-tiny_toy_offline.py'), '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        f'{inner}.ann_file={toy_data}/train_list.txt',
        f'{inner}.data_prefix.video={toy_data}',
        f'{inner}.pipeline.{target}.source.root={traj}',
        f'{inner}.pipeline.{target}.source.video_root={toy_data}',
        'train_dataloader.dataset.times=2', 'train_dataloader.batch_size=3',
        'train_dataloader.num_workers=0', 'train_cfg.max_epochs=1',
        'model.backbone.arch.depth=2', 'default_hooks.logger.interval=1'
    ])
    # 9 videos, twice, in batches of 3: 6 iterations.
    assert len(losses(log)) == 6
    traj_losses = [float(x) for x in re.findall(r'loss_traj: ([0-9.]+)', log)]
    assert len(traj_losses) == 6 and all(x > 0 for x in traj_losses)
    assert (tmp_path / 'work' / 'epoch_1.pth').exists()


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_dist_train_sh_runs_two_cpu_processes(toy_data, tmp_path):
    options = small_run_options(toy_data, tmp_path)
    log = run(['bash', 'tools/dist_train.sh', TOY_CONFIG, '2'] + options,
              PYTHON=sys.executable, PORT=str(free_port()))
    assert 'Distributed training: True' in log
    # The log says what runs: CPU processes over gloo, not GPUs over nccl.
    assert 'CPU processes: 2' in log and "'backend': 'gloo'" in log
    assert 'GPU number' not in log and "'backend': 'nccl'" not in log
    # 9 videos over 2 ranks of batch 3: 2 iterations, logged by rank 0.
    assert len(losses(log)) == 2
    # The check's counts are summed over both ranks' 5 clips (one padded).
    assert 'Trajectory check, epoch 1: 0 of 40 tubelets' in log
    assert (tmp_path / 'epoch_1.pth').exists()


def test_checkpoint_encoder_loads_into_stock_recognizer(single_process_run):
    work_dir, _ = single_process_run
    checkpoint = str(work_dir / 'epoch_1.pth')
    recognizer = MODELS.build(
        dict(type='Recognizer3D',
             backbone=dict(
                 type='VisionTransformer', embed_dims=192, depth=2,
                 num_heads=3, img_size=64, num_frames=8,
                 init_cfg=dict(type='Pretrained', checkpoint=checkpoint,
                               prefix='backbone.')),
             cls_head=dict(type='TimeSformerHead', num_classes=9,
                           in_channels=192),
             data_preprocessor=dict(type='ActionDataPreprocessor',
                                    format_shape='NCTHW')))
    recognizer.init_weights()
    saved = torch.load(checkpoint, map_location='cpu',
                       weights_only=False)['state_dict']
    encoder = {k[len('backbone.'):]: v for k, v in saved.items()
               if k.startswith('backbone.')}
    stock = recognizer.backbone.state_dict()
    blocks = [k for k in stock if k.startswith('blocks.')]
    assert blocks and all(k in encoder for k in blocks)
    for key in blocks + ['patch_embed.projection.weight']:
        assert torch.equal(stock[key], encoder[key]), key
    # Only the fine-tuning norm is new; the pre-training norm is left out.
    assert set(stock) - set(encoder) == {'fc_norm.weight', 'fc_norm.bias'}


def stock_tool(name):
    """MMAction2's own tools/NAME.py, as shipped in its wheel."""
    import mmaction
    return str(Path(mmaction.__file__).parent / '.mim' / 'tools' / name)


def test_mmaction2s_own_train_py_takes_seed(toy_data, tmp_path):
    """Stock habits: MMAction2's script and --seed, on our config, which
    already trains in mixed precision (no --amp needed)."""
    log = run([sys.executable, stock_tool('train.py'), TOY_CONFIG,
               '--seed', '42'] + small_run_options(toy_data, tmp_path))
    assert 'seed: 42' in log
    assert len(losses(log)) == 3 and (tmp_path / 'epoch_1.pth').exists()
    config = (tmp_path / 'vit-tiny_toy.py').read_text()
    assert "type='MixedPrecisionOptimWrapper'" in config


def test_amp_flag_refuses_a_custom_optim_wrapper(monkeypatch):
    from mmengine.config import Config
    train = load_tool('tools/train.py')
    monkeypatch.setattr(sys, 'argv', ['train.py', TOY_CONFIG, '--amp'])
    cfg = Config.fromfile(TOY_CONFIG)
    # Our wrapper, by its own name: mmengine's AmpOptimWrapper needs a GPU.
    for wrapper in ('OptimWrapper', 'AmpOptimWrapper'):
        cfg.optim_wrapper.type = wrapper
        assert train.merge_args(cfg, train.parse_args()).optim_wrapper.type \
            == 'MixedPrecisionOptimWrapper'
    cfg.optim_wrapper.type = 'MyWrapper'
    with pytest.raises(ValueError, match=re.escape(
            f"custom optim wrapper 'MyWrapper' of {TOY_CONFIG}")):
        train.merge_args(cfg, train.parse_args())


def test_a_resumed_run_continues_exactly(toy_data, tmp_path):
    """A real Runner checkpoint (optimizer, message hub, schedulers, data
    workers) resumes with the same next losses as a run that never
    stopped."""
    options = small_run_options(toy_data, tmp_path)
    options[options.index('train_dataloader.num_workers=0')] = \
        'train_dataloader.num_workers=1'
    options[options.index('train_cfg.max_epochs=1')] = 'train_cfg.max_epochs=2'
    options += ['default_hooks.checkpoint.interval=1',
                'default_hooks.checkpoint.max_keep_ckpts=2']
    whole = losses(run([sys.executable, 'tools/train.py', TOY_CONFIG,
                        '--seed', '3'] + options))
    checkpoint = tmp_path / 'epoch_1.pth'
    options[options.index('--work-dir') + 1] = str(tmp_path / 'resumed')
    resumed = run([sys.executable, 'tools/train.py', TOY_CONFIG, '--seed',
                   '3', '--resume', str(checkpoint)] + options)
    assert f'Resumed checkpoint from {checkpoint}' in resumed or \
        'resumed epoch: 1' in resumed
    assert len(whole) == 6 and losses(resumed) == whole[3:]


@pytest.fixture(scope='module')
def fine_tuned(single_process_run, toy_data, tmp_path_factory):
    """(config, checkpoint) of the toy recognizer fine-tuned for one epoch
    from the pre-training checkpoint."""
    work_dir, _ = single_process_run
    out = tmp_path_factory.mktemp('fine_tune')
    config = out / 'recognizer.py'
    config.write_text(RECOGNIZER_CONFIG.format(root=ROOT, data=toy_data))
    run([sys.executable, 'tools/train.py', str(config), '--work-dir',
         str(out / 'work'), '--cfg-options',
         f'load_from={work_dir / "epoch_1.pth"}'])
    return config, str(out / 'work' / 'epoch_1.pth')


def test_test_py_refuses_a_checkpoint_without_a_classifier(
        single_process_run, fine_tuned):
    """A pre-training checkpoint given to a recognizer config would be
    scored with a random head: an error, not an accuracy."""
    work_dir, _ = single_process_run
    config, _ = fine_tuned
    result = subprocess.run(
        [sys.executable, 'tools/test.py', str(config),
         str(work_dir / 'epoch_1.pth'), '--work-dir',
         str(work_dir / 'refused')], cwd=ROOT, capture_output=True,
        text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.returncode == 2, result.stderr[-2000:]
    assert ('has no weights for 4 parameters of the model '
            '(backbone.fc_norm.weight, backbone.fc_norm.bias, '
            'cls_head.fc_cls.weight, cls_head.fc_cls.bias)' in result.stderr)
    assert 'acc/top1' not in result.stdout + result.stderr


def test_test_py_and_dist_test_sh_evaluate_a_recognizer(
        fine_tuned, tmp_path):
    config, checkpoint = fine_tuned
    # MMAction2's test.py arguments: visualisations and a dump.
    log = run([sys.executable, 'tools/test.py', str(config), checkpoint,
               '--work-dir', str(tmp_path / 'single'), '--show-dir',
               str(tmp_path / 'show'), '--interval', '2', '--wait-time', '0',
               '--dump', str(tmp_path / 'predictions.pkl')])
    assert 'acc/top1' in log
    # 9 validation videos, every second one drawn, 8 frames each.
    drawn = sorted(p.name for p in (tmp_path / 'show').iterdir())
    assert drawn == ['0_0', '2_0', '4_0', '6_0', '8_0']
    assert len(list((tmp_path / 'show' / '0_0').rglob('*.png'))) == 8
    import pickle
    with open(tmp_path / 'predictions.pkl', 'rb') as f:
        assert len(pickle.load(f)) == 9
    log = run(['bash', 'tools/dist_test.sh', str(config), checkpoint, '2',
               '--work-dir', str(tmp_path / 'dist')],
              PYTHON=sys.executable, PORT=str(free_port()))
    assert 'CPU processes: 2' in log and 'acc/top1' in log


def test_test_py_explains_that_pre_training_configs_have_no_test_loop(
        single_process_run):
    work_dir, _ = single_process_run
    result = subprocess.run(
        [sys.executable, 'tools/test.py', TOY_CONFIG,
         str(work_dir / 'epoch_1.pth')], cwd=ROOT, capture_output=True,
        text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.returncode != 0
    assert 'evaluated by fine-tuning' in result.stderr


@pytest.fixture(scope='module')
def toy_vq_tokenizer(toy_data, tmp_path_factory):
    """A toy tokenizer from tools/train_vq_tokenizer.py (seconds)."""
    out = tmp_path_factory.mktemp('vq')
    load_tool('tools/train_vq_tokenizer.py').main([
        str(toy_data / 'train_list.txt'), str(out), '--ae-steps', '100',
        '--steps', '30', '--batch-size', '8', '--val-videos', '2'])
    return out / 'vq_tokenizer.pth'


@pytest.mark.parametrize('config', [
    'configs/motionmae/vit-tiny_toy_motionmae.py',
    'configs/motionmae/vit-tiny_toy_motionmae-sha.py',
    'configs/mam2/vit-tiny_toy_mam2.py',
])
def test_sibling_toy_pretrains_and_fine_tunes_with_the_stock_recognizer(
        config, toy_data, toy_vq_tokenizer, tmp_path):
    options = small_run_options(toy_data, tmp_path / 'pre')
    if 'mam2' in config:
        options.append(
            f'model.target_generator.checkpoint={toy_vq_tokenizer}')
    log = run([sys.executable, 'tools/train.py', config] + options)
    assert len(losses(log)) == 3
    checkpoint = tmp_path / 'pre' / 'epoch_1.pth'
    data = [
        f'{split}_dataloader.{key}'
        for split, ann in (('train', 'train'), ('val', 'val'), ('test', 'val'))
        for key in (f'dataset.ann_file={toy_data}/{ann}_list.txt',
                    f'dataset.data_prefix.video={toy_data}', 'num_workers=0',
                    'persistent_workers=False')
    ]
    log = run([
        sys.executable, 'tools/train.py',
        'configs/recognition/vit-tiny_mme-pre_toy.py', '--work-dir',
        str(tmp_path / 'finetune'), '--cfg-options',
        f'model.backbone.init_cfg.checkpoint={checkpoint}',
        'model.backbone.depth=2', 'train_cfg.max_epochs=1', *data
    ])
    assert f'load backbone. in model from: {checkpoint}' in log
    missing = re.search(r'missing keys in source state_dict: (.*)', log)
    assert missing and missing[1].split(', ') == ['fc_norm.weight',
                                                  'fc_norm.bias']
    assert 'acc/top1' in log

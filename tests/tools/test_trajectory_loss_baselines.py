"""tools/analysis/trajectory_loss_baselines.py on a video of known motion."""
import importlib.util
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmaction.registry import DATASETS, MODELS
from synthetic_video import camera_pan, write_video
from tiny_models import tiny_mme_config

_SCRIPT = (Path(__file__).parents[2] /
           'tools/analysis/trajectory_loss_baselines.py')
_spec = importlib.util.spec_from_file_location('baselines', _SCRIPT)
baselines = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(baselines)

# Content moves by (dx, dy) = (-2, +1) px per frame: the camera pans by
# (+2, -1) over a still texture.
TRAJ_LEN = 2


@pytest.fixture(scope='module')
def pan_video(tmp_path_factory):
    root = tmp_path_factory.mktemp('pan')
    write_video(root / 'pan.mp4', camera_pan(pan=(2, -1)))
    (root / 'list.txt').write_text('pan.mp4 0\n')
    return root


def _cfg(root, traj_norm):
    return Config(tiny_mme_config(root, traj_norm, TRAJ_LEN))


def test_pan_baselines_by_hand(pan_video):
    out = baselines.trajectory_loss_baselines(
        _cfg(pan_video, 'none'), num_samples=3)
    # Every masked token: 4 sub-cells x L steps of (-2, +1), squared and
    # summed = 4 * L * 5, times the loss weight 0.5.
    assert out['zero'] == pytest.approx(0.5 * 4 * TRAJ_LEN * 5, rel=0.05)
    # Copying the visible tokens' common motion explains it all.
    assert out['visible mean'] < 0.02 * out['zero']
    assert out['valid_fraction'] == pytest.approx(1.0)


def test_patch_std_removes_the_pan(pan_video):
    out = baselines.trajectory_loss_baselines(
        _cfg(pan_video, 'patch_std'), num_samples=3)
    assert out['zero'] < 0.05


def test_zero_baseline_is_the_heads_loss_of_a_zero_prediction(pan_video):
    cfg = _cfg(pan_video, 'none')
    model = MODELS.build(cfg.model)
    head, generator = model.motion_head, model.motion_generator
    torch.nn.init.zeros_(head.pred[-2].weight)
    torch.nn.init.zeros_(head.pred[-2].bias)
    sample = DATASETS.build(cfg.train_dataloader.dataset)[0]['data_samples']
    err_zero, _, _, num_masked = baselines.sample_errors(generator, sample)
    mask = torch.as_tensor(sample.mask)[None]
    traj, validity = generator.targets(
        torch.as_tensor(sample.trajectories)[None],
        torch.as_tensor(sample.traj_valid)[None])
    losses = head.loss(torch.randn(1, int(mask.sum()), 24), traj, mask,
                       validity)
    assert losses['loss_traj'].item() == pytest.approx(
        0.5 * err_zero / num_masked, rel=1e-5)


def test_a_model_without_trajectories_is_refused(pan_video):
    cfg = _cfg(pan_video, 'none')
    cfg.model = dict(cfg.model, type='MaskedVideoPretrainer',
                     motion_generator=None, motion_head=None,
                     head=dict(type='MaskedRegressionHead'),
                     target_generator=dict(type='PixelTargetGenerator'))
    with pytest.raises(TypeError, match='MaskedVideoPretrainer makes no '
                       'trajectory targets'):
        baselines.trajectory_loss_baselines(cfg, num_samples=1)


def test_a_checkpoint_predicting_zero_scores_the_zero_baseline(
        pan_video, tmp_path):
    cfg = _cfg(pan_video, 'none')
    model = MODELS.build(cfg.model)
    torch.nn.init.zeros_(model.motion_head.pred[-2].weight)
    torch.nn.init.zeros_(model.motion_head.pred[-2].bias)
    checkpoint = tmp_path / 'zero_motion.pth'
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    out = baselines.trajectory_loss_baselines(
        cfg, num_samples=3, checkpoint=str(checkpoint))
    assert out['model'] == pytest.approx(out['zero'], rel=1e-5)

    # A model that predicts something is scored on its own predictions.
    torch.nn.init.constant_(model.motion_head.pred[-2].bias, 1.0)
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    out = baselines.trajectory_loss_baselines(
        cfg, num_samples=3, checkpoint=str(checkpoint))
    # Every target dimension is -2 or +1 (L steps of (-2, +1) per sub-cell):
    # predicting 1 errs by 9 on x, 0 on y: 0.5 * 4 * L * 9.
    assert out['model'] == pytest.approx(0.5 * 4 * TRAJ_LEN * 9, rel=0.05)


def test_cli_reports_a_finished_run(pan_video, tmp_path):
    """``--work-dir``: the run's last checkpoint against the baselines, and
    its logged loss_traj, last 20% of steps over first 20%."""
    import json
    import subprocess
    import sys
    cfg = _cfg(pan_video, 'none')
    config = tmp_path / 'tiny.py'
    cfg.dump(str(config))
    model = MODELS.build(cfg.model)
    torch.nn.init.zeros_(model.motion_head.pred[-2].weight)
    torch.nn.init.zeros_(model.motion_head.pred[-2].bias)
    work = tmp_path / 'run'
    (work / '20260101_000000' / 'vis_data').mkdir(parents=True)
    torch.save({'state_dict': model.state_dict()}, work / 'epoch_2.pth')
    (work / 'last_checkpoint').write_text(str(work / 'epoch_2.pth'))
    logged = [10., 8., 6., 4., 2., 6., 5., 4., 2., 0.]
    (work / '20260101_000000' / 'vis_data' / 'scalars.json').write_text(
        ''.join(json.dumps({'loss_traj': v, 'step': i}) + '\n'
                for i, v in enumerate(logged)))
    out = subprocess.run(
        [sys.executable, str(_SCRIPT), str(config), '--num-samples', '2',
         '--work-dir', str(work)], capture_output=True, text=True, check=True,
        cwd=Path(__file__).parents[2]).stdout
    assert '1.00 x zero' in out  # the checkpoint predicts zero
    # First 2 of 10 steps: mean 9; last 2: mean 1.
    assert 'first 20% of steps 9.0000, last 20% 1.0000, 0.11 x' in out

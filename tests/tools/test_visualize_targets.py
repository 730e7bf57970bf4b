"""tools/visualize_targets.py: pictures of a real video's targets, of a
toy model's predictions, and the geometry the pictures rely on."""
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmaction.registry import MODELS
from mmengine.config import Config
from PIL import Image
from mme_mmaction import visualization
from synthetic_video import moving_square, write_video

ROOT = Path(__file__).resolve().parents[2]
TOY_CONFIG = ROOT / 'configs/mme/vit-tiny_toy.py'
PNGS = ('frames.png', 'flow.png', 'trajectories.png', 'mask.png',
        'masks.png', 'hog.png')


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'visualize_targets', ROOT / 'tools/visualize_targets.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


vis = load_tool()


def rgb(path):
    return np.asarray(Image.open(path).convert('RGB'), dtype=np.float32)


def test_real_video_gives_every_picture(shared_video, tmp_path):
    written = vis.visualize(str(shared_video('bikes.mp4')), str(tmp_path))
    assert sorted(Path(p).name for p in written) == sorted(
        PNGS + ('trajectories.gif', ))
    for name in PNGS:
        width, height = Image.open(tmp_path / name).size
        assert width >= 400 and height >= 200, name
    gif = Image.open(tmp_path / 'trajectories.gif')
    assert gif.n_frames == 8  # 16 frames, 2 per tubelet
    trajectories = rgb(tmp_path / 'trajectories.png')
    frames = rgb(tmp_path / 'frames.png')
    assert trajectories.std() > 20
    assert (trajectories.shape != frames.shape
            or np.abs(trajectories - frames).mean() > 5)


def test_motion_guided_masks_move_where_the_tube_mask_stays(
        tmp_path, monkeypatch):
    """masks.png: one row per mask, one panel per slice; the tube mask
    greys the same patches in every slice, the warp mask follows the
    moving square, so its greyed patches change."""
    from mme_mmaction.visualization import masks
    video = write_video(tmp_path / 'square.mp4', moving_square(num_frames=32))
    figures = []
    save = masks.save
    monkeypatch.setattr(masks, 'save', lambda fig, *args: (
        figures.append(fig), save(fig, *args)))
    vis.visualize(str(video), str(tmp_path / 'out'))
    clip = visualization.sample_clip(str(video), None, 0, 0)
    firsts = clip.frames[::clip.tubelet].astype(np.float32)
    panels = np.array([ax.get_images()[0].get_array() for ax in
                       figures[-1].axes if ax.get_images()], np.float32)
    changed = np.abs(panels.reshape(3, len(firsts), *firsts.shape[1:]) -
                     firsts).sum(-1) > 0
    rows, cols = firsts.shape[1] // clip.patch, firsts.shape[2] // clip.patch
    greyed = changed.reshape(3, len(firsts), rows, clip.patch, cols,
                             clip.patch).any(axis=(3, 5))
    tube, warp, motion = greyed
    assert (tube == tube[0]).all()
    assert not (warp == warp[0]).all() and not (motion == motion[0]).all()
    for row in greyed:  # every slice greys the same share
        assert len(set(row.sum(axis=(1, 2)).tolist())) == 1


@pytest.mark.parametrize('config, unit', [
    ('vit-tiny_toy.py', 'px'),
    ('vit-tiny_toy_faithful.py', 'PatchStd'),
])
def test_checkpoint_adds_predictions_labelled_with_the_target(
        tmp_path, monkeypatch, config, unit):
    """The trajectory panels name the unit of the config's own target (the
    toy's raw pixels, the faithful config's PatchStd)."""
    from mme_mmaction.visualization import predictions
    video = write_video(tmp_path / 'square.mp4', moving_square(num_frames=32))
    cfg = Config.fromfile(TOY_CONFIG.parent / config)
    cfg.model.backbone.arch.depth = 1  # cheap; the tool builds the same
    config = tmp_path / 'toy_depth1.py'
    cfg.dump(config)
    checkpoint = tmp_path / 'model.pth'
    torch.save({'state_dict': MODELS.build(cfg.model).state_dict()},
               checkpoint)
    figures = []
    save = predictions.save
    monkeypatch.setattr(predictions, 'save', lambda fig, *args: (
        figures.append(fig), save(fig, *args)))
    out = tmp_path / 'out'
    written = vis.visualize(str(video), str(out), config=str(config),
                            checkpoint=str(checkpoint))
    assert str(out / 'predictions.png') in written
    width, height = Image.open(out / 'predictions.png').size
    assert width >= 600 and height >= 600
    assert Image.open(out / 'trajectories.gif').n_frames == 4  # 8 frames
    labels = [ax.get_xlabel() for ax in figures[0].axes] + [
        ax.get_title() for ax in figures[0].axes]
    assert f'target ({unit})' in labels, labels
    if unit == 'px':
        assert not any('PatchStd' in text for text in labels)


def test_missing_video_is_a_clear_error(tmp_path, monkeypatch):
    missing = tmp_path / 'missing.mp4'
    monkeypatch.setattr(
        sys, 'argv', ['visualize_targets.py', str(missing), '--out',
                      str(tmp_path / 'out')])
    with pytest.raises(SystemExit) as exit_info:
        vis.main()
    # sys.exit with a message prints it and exits with status 1.
    assert str(missing) in exit_info.value.code
    assert not (tmp_path / 'out').exists()


@pytest.mark.parametrize('total, expected', [(64, (16, 4)), (40, (16, 2)),
                                             (10, (6, 1))])
def test_short_videos_get_a_smaller_stride_then_fewer_frames(
        total, expected):
    assert visualization.choose_sampling(total, 0, 16, 4, 4, 2,
                                         False) == expected


def test_a_config_keeps_its_clip_length_or_fails():
    with pytest.raises(ValueError, match='10 frames'):
        visualization.choose_sampling(10, 0, 16, 4, 4, 2, True)


def test_trajectory_paths_start_at_cell_centres_and_accumulate():
    # One tubelet, 2 steps, a 1 x 2 grid of 8-pixel cells.
    traj = np.zeros((1, 2, 2, 1, 2), dtype=np.float32)
    traj[0, :, 0, 0, 1] = [1., 2.]  # dx of the right seed
    traj[0, :, 1, 0, 1] = [-1., 0.5]  # dy of the right seed
    paths = visualization.trajectory_paths(traj, 8)
    np.testing.assert_allclose(paths[0, 0], [[4, 4]] * 3)
    np.testing.assert_allclose(paths[0, 1], [[12, 4], [13, 3], [15, 3.5]])


@pytest.mark.parametrize('edge, direction', [
    (lambda x, y: x >= 12, (0., 1.)),  # vertical edge
    (lambda x, y: x > y, (1., 1.)),  # diagonal running down-right
])
def test_hog_glyphs_run_along_edges(edge, direction):
    y, x = np.mgrid[:32, :32]
    frame = np.where(edge(x, y), 200, 50).astype(np.uint8)
    frames = np.repeat(frame[None, ..., None], 3, -1).repeat(2, 0)
    hist = visualization.cell_histograms(
        frames, MODELS.build(dict(type='HOGGenerator')))
    segments, _ = visualization.hog_glyphs(hist, 8, float(hist.max()))
    # Cell (1, 1), pixels [8, 16) x [8, 16), holds the edge.
    cell = segments.reshape(4, 4, -1, 2, 2)[1, 1]
    longest = cell[np.argmax(np.linalg.norm(cell[:, 1] - cell[:, 0], axis=-1))]
    drawn = (longest[1] - longest[0]) / np.linalg.norm(longest[1] - longest[0])
    assert abs(drawn @ np.array(direction) / np.hypot(*direction)) > 0.95

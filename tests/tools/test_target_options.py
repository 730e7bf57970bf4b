"""tools/analysis/target_options.py on a camera pan of known motion."""
import pytest
from mmengine.config import Config
from test_train import load_tool

from synthetic_video import camera_pan, write_video
from tiny_models import tiny_mme_config

tool = load_tool('tools/analysis/target_options.py')
baselines = load_tool('tools/analysis/trajectory_loss_baselines.py')


@pytest.fixture(scope='module')
def pan_config(tmp_path_factory):
    root = tmp_path_factory.mktemp('pan')
    write_video(root / 'pan.mp4', camera_pan(pan=(2, -1)))
    (root / 'list.txt').write_text('pan.mp4 0\n')
    cfg = Config(tiny_mme_config(root, 'none'))
    cfg.train_dataloader.batch_size = 2
    return cfg


def test_variants_parse_as_literals_and_strings():
    assert tool.parse_variant([
        'a', 'model.motion_generator.norm=log', 'steps=3',
        'x.y={"type": "Tanh"}'
    ]) == ('a', {
        'model.motion_generator.norm': 'log',
        'steps': 3,
        'x.y': {'type': 'Tanh'}
    })
    with pytest.raises(ValueError, match="'steps' is not KEY=VALUE"):
        tool.parse_variant(['a', 'steps'])


def test_a_dict_replaces_a_none_entry(pan_config):
    from mme_mmaction.datasets.pipeline_steps import find_step
    pipeline = pan_config.train_dataloader.dataset.pipeline
    mask = find_step(pipeline, 'TubeMaskGenerator')
    cfg = tool.apply_settings(
        pan_config, {'model.motion_head.act_cfg': {'type': 'Tanh'}, 'lr': 1.,
                     f'train_dataloader.dataset.pipeline.{mask}.mask_ratio':
                     0.25})
    assert cfg.model.motion_head.act_cfg == {'type': 'Tanh'}
    assert cfg.train_dataloader.dataset.pipeline[mask].mask_ratio == 0.25
    assert pan_config.model.motion_head.act_cfg is None  # a copy


def test_baselines_agree_with_the_baseline_tool_and_training_learns(
        pan_config):
    rows = tool.study(pan_config, [('raw', {}), ('log', {
        'model.motion_generator.norm': 'log'})], seeds=[0], steps=30, lr=3e-3,
                      train_clips=4, eval_clips=3)
    assert [r['variant'] for r in rows] == ['raw', 'log']
    raw = rows[0]
    # The same 3 seeded clips as trajectory_loss_baselines (seed 0), whose
    # numbers include the head's loss weight of 1/2.
    ref = baselines.trajectory_loss_baselines(pan_config, num_samples=3)
    assert raw['zero'] / 2 == pytest.approx(ref['zero'], rel=1e-5)
    assert raw['visible mean'] / 2 == pytest.approx(ref['visible mean'],
                                                    rel=1e-5)
    # A uniform pan is the visible tokens' mean and the nearest visible
    # token's target: 30 steps on it beat zero.
    assert raw['nearest visible'] < 0.1 * raw['zero']
    assert raw['model'] < 0.5 * raw['zero']
    table = tool.summary(rows, [('raw', {}), ('log', {})])
    assert table.count('\n| ') == 2 and '| raw | - |' in table


def test_heldout_clips_come_from_the_configs_heldout_pipeline(tmp_path):
    """configs/mme/vit-tiny_real-clips.py on a given video: training clips
    from its first 70%, evaluation clips through ``heldout_dataloader``."""
    import os.path as osp

    import torch

    from synthetic_video import moving_square
    video = str(write_video(tmp_path / 'square.mp4', moving_square(
        num_frames=100, velocity=(0.5, 0.25))))
    cfg = Config.fromfile(osp.join(osp.dirname(__file__), '..', '..',
                                   'configs/mme/vit-tiny_real-clips.py'))
    cfg.train_dataloader.batch_size = 2
    late = Config(cfg.to_dict())
    late.train_dataloader.dataset.pipeline = \
        cfg.heldout_dataloader.dataset.pipeline
    held = tool.draw(cfg, 2, 0, [video], 'heldout')
    for a, b in zip(held, tool.draw(late, 2, 0, [video])):
        assert torch.equal(a['inputs'], b['inputs'])
    assert not torch.equal(held[0]['inputs'],
                           tool.draw(cfg, 1, 0, [video])[0]['inputs'])
    rows = tool.study(cfg, [('raw', {})], seeds=[0], steps=2, lr=1e-3,
                      train_clips=2, eval_clips=2, videos=[video])
    assert rows[0]['zero'] > 0 and rows[0]['variant'] == 'raw'

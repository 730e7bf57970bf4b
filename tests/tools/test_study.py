"""tools/analysis/study.py: the decoder rule by hand, every arm's config,
and a tiny study that, interrupted and resumed from its cells, gives the
table of an uninterrupted one."""
import json

import pytest
from mmaction.registry import MODELS

from mme_mmaction.analysis.study_tables import STUDY_BEGIN, STUDY_END
from mme_mmaction.datasets.pipeline_steps import find_mask_step
from tool_modules import load_tool

study = load_tool('tools/analysis/study.py')
TINY = ['--seeds', '0', '--budget-clips', '16', '--batch-size', '4',
        '--pool', '12', '--eval-clips', '4', '--pretrain-videos', '1',
        '--labelled-videos', '1', '--val-videos', '1', '--finetune-steps',
        '2', '--views', '1']


def test_decoders_scale_by_the_encoders_ratios():
    videomae = dict(type='MMEDecoder', embed_dims=384, depth=4, num_heads=6)
    assert study.scaled(videomae, 192, 4) == dict(
        type='MMEDecoder', embed_dims=96, depth=1, num_heads=2)
    mme = dict(embed_dims=192, depth=1, num_heads=6)
    assert study.scaled(mme, 192, 4) == dict(embed_dims=48, depth=1,
                                             num_heads=2)
    # MAM2's regressor is as wide as the encoder.
    regressor = dict(type='LatentRegressor', depth=4, num_heads=12)
    assert study.scaled(regressor, 192, 4) == dict(
        type='LatentRegressor', depth=1, num_heads=3)
    # Heads are lowered until they divide the width: 5 x 100/768 -> 1.
    assert study.scaled(dict(embed_dims=768, depth=12, num_heads=10),
                        100, 12)['num_heads'] == 1


@pytest.mark.parametrize('arm', [a for a in study.ARMS if a != 'random'])
def test_every_arm_is_its_method_at_toy_scale(arm):
    cfg = study.arm_config(arm, study.parse_args(['--arms', arm]))
    if cfg.model.type == 'MAM2':
        cfg.model.target_generator.checkpoint = None
    assert cfg.model.backbone.arch == dict(embed_dims=192, depth=4,
                                           num_heads=3)
    pipeline = cfg.train_dataloader.dataset.pipeline
    mask = pipeline[find_mask_step(pipeline)]
    expected = dict(videomae='TubeMaskGenerator', hog='TubeMaskGenerator',
                    videomae_toy='TubeMaskGenerator',
                    motionmae='SliceRandomMaskGenerator')
    if arm.endswith(('_warp', '_motion')):
        assert mask['type'] == 'MotionGuidedMaskGenerator'
        assert mask['mode'] == arm.rsplit('_', 1)[1]
    elif arm in expected:
        assert mask['type'] == expected[arm]
    assert mask['mask_ratio'] == (0.7 if cfg.model.type == 'MME' else 0.9)
    assert 'TrajectoryTarget' in [s['type'] for s in pipeline]
    assert cfg.train_dataloader.batch_size == 16
    assert cfg.optim_wrapper.optimizer.lr == 3e-4
    if '_toy' in arm:  # the toy MME's widths, not the rule
        assert (cfg.model.neck.embed_dims, cfg.model.neck.depth,
                cfg.model.neck.num_heads) == (128, 1, 4)
    if arm.startswith('mme_toy'):
        assert cfg.model.motion_head.hidden_channels == 256
        assert cfg.model.motion_generator.norm == (
            'patch_std' if arm == 'mme_toy_std' else 'none')
        assert (cfg.model.motion_head.act_cfg is None) == (arm == 'mme_toy')
    elif cfg.model.type == 'MME':  # the ViT-B heads' 512 hidden -> 128
        assert cfg.model.head.hidden_channels == 128
        assert cfg.model.motion_head.hidden_channels == 128
        assert (cfg.model.motion_head.act_cfg is None) == (arm == 'mme_none')
        assert cfg.model.neck.embed_dims == 48
    if cfg.model.type != 'MAM2':  # needs its tokenizer file
        model = MODELS.build(cfg.model)
        assert model.neck.embed_dims < 192


def test_the_verdict_arms_have_a_third_seed():
    seeds = study.arm_seeds(study.parse_args(['--arms', 'mme', 'hog']))
    assert seeds == dict(mme=[0, 1, 2], hog=[0, 1])
    assert set(study.VERDICT_ARMS) <= set(study.ARMS)
    assert study.arm_seeds(study.parse_args(
        ['--arms', 'mme', 'hog', '--seeds', '4'])) == dict(mme=[4], hog=[4])


def table_without_times(text):
    """The table's rows without the wall-time column and the footer."""
    rows = [line.split('|') for line in text.splitlines()
            if line.startswith('| ')]
    return [cells[:8] + cells[9:] for cells in rows]


def test_an_interrupted_study_resumes_to_the_same_table(tmp_path, capsys):
    work = str(tmp_path / 'work')
    study.main(TINY + ['--arms', 'random', 'mme', '--work-dir', work,
                       '--cells', str(tmp_path / 'whole')])
    whole = capsys.readouterr().out
    # Interrupted after the first arm; the second run reuses its cell.
    study.main(TINY + ['--arms', 'mme', '--work-dir', work,
                       '--cells', str(tmp_path / 'parts')])
    capsys.readouterr()
    readme = tmp_path / 'README.md'
    readme.write_text(f'# Results\n\n{STUDY_BEGIN}\nold\n'
                      f'{STUDY_END}\n\nAfter.\n')
    study.main(TINY + ['--arms', 'random', 'mme', '--work-dir', work,
                       '--cells', str(tmp_path / 'parts'), '--table',
                       str(readme)])
    resumed = capsys.readouterr().out
    assert 'mme seed 0: finished cell reused' in resumed
    assert 'random seed 0: finished cell reused' not in resumed
    assert table_without_times(resumed) == table_without_times(whole)
    assert len(table_without_times(whole)) == 3  # header, 2 arms
    text = readme.read_text()
    assert 'old' not in text and text.endswith('After.\n')
    assert '| mme |' in text
    # The table from the cells alone: an arm without cells is left out.
    study.main(TINY + ['--arms', 'random', 'mme', 'videomae', '--work-dir',
                       work, '--cells', str(tmp_path / 'parts'),
                       '--from-cells'])
    table = capsys.readouterr().out
    assert 'videomae seed 0: no finished cell' in table
    assert table_without_times(table) == table_without_times(whole)
    cell = json.loads((tmp_path / 'parts' / 'static64' / 'mme' / 'seed0.json')
                      .read_text())
    assert cell['results']['precision'] in ('bfloat16', 'float32')
    assert {'model', 'zero', 'visible mean', 'nearest visible'} == set(
        cell['results']['motion'])
    # Every trained target is scored on the same held-out clips.
    targets = cell['results']['targets']
    assert set(targets) == {'hog', 'traj'}
    for k in ('model', 'zero'):
        assert targets['traj'][k] == pytest.approx(
            cell['results']['motion'][k], rel=1e-4)
    assert targets['hog']['mean'] < targets['hog']['zero']
    assert '| hog ' in text
    assert {'val', 'test'} == set(cell['results']['probe'])
    # The seed's videos are the static 64 x 64 toy (--toy-data static64).
    import cv2
    listing = tmp_path / 'work' / 'seed0-static64' / 'pretrain' / \
        'train_list.txt'
    video = listing.parent / listing.read_text().split()[0]
    frame = cv2.VideoCapture(str(video)).read()[1]
    assert frame.shape == (64, 64, 3)
    # A new transfer recipe re-runs the transfer on the cached encoder.
    study.main(TINY[:-3] + ['3', '--views', '1', '--arms', 'mme',
                            '--work-dir', work, '--cells',
                            str(tmp_path / 'parts')])
    assert 'mme seed 0: pre-trained encoder reused' in \
        capsys.readouterr().out
    again = json.loads((tmp_path / 'parts' / 'static64' / 'mme' /
                        'seed0.json')
                       .read_text())
    assert again['key'] != cell['key']
    assert again['results']['final_losses'] == \
        cell['results']['final_losses']


def test_a_dataset_of_other_sizes_is_refused(tmp_path):
    for split, lines in (('train', 9), ('val', 9)):
        (tmp_path / f'{split}_list.txt').write_text('a.mp4 0\n' * lines)
    study.make_data(str(tmp_path), 1, 1, 0, [])  # 1 per class: reused
    with pytest.raises(ValueError, match='holds 9 training and 9 valid'):
        study.make_data(str(tmp_path), 2, 1, 0, [])


def test_the_store_can_read_trajectories_extracted_once(tmp_path):
    import subprocess
    import sys

    import numpy as np
    from tool_modules import small_toy_dataset
    videos = small_toy_dataset(tmp_path / 'toy')
    data = dict(pretrain=str(videos), trajectories=str(tmp_path / 'traj'),
                store=str(tmp_path / 'store'))
    subprocess.run([sys.executable, 'tools/data/extract_trajectories.py',
                    f'{videos}/train_list.txt', data['trajectories']],
                   cwd=study.ROOT, check=True, capture_output=True)
    stores = {}
    for source in ('online', 'stored'):
        a = study.parse_args(['--trajectories', source, '--pool', '3'])
        stores[source] = study.toy_store(data, a, seed=0)
        assert study.data_choice(a) == dict(toy_data='static64', **(
            {} if source == 'online' else {'trajectories': 'stored'}))
    # The first study's data (the default toy, online) adds no setting, so
    # its cells stay valid.
    assert study.data_choice(study.parse_args(['--toy-data', 'default'])) \
        == {}
    online, stored = (np.asarray(s.arrays['trajectories'])
                      for s in stores.values())
    assert online.shape == stored.shape == (3, 4, 4, 2, 8, 8)
    # The same clips (frames), tracked two ways.
    np.testing.assert_array_equal(np.asarray(stores['online'].arrays['imgs']),
                                  np.asarray(stores['stored'].arrays['imgs']))
    assert not np.array_equal(online, stored)

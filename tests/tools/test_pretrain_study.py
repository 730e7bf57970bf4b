"""tools/analysis/pretrain_study.py: log parsing by hand, and a whole study
at a tiny size (one video per class, three epochs per run)."""
import json
import re
from pathlib import Path

import pytest
from test_train import load_tool

study = load_tool('tools/analysis/pretrain_study.py')


def write_scalars(work_dir: Path, stamp: str, entries) -> None:
    log = work_dir / stamp / 'vis_data' / 'scalars.json'
    log.parent.mkdir(parents=True)
    log.write_text(''.join(json.dumps(e) + '\n' for e in entries))


def test_reads_the_last_validation_of_the_newest_run(tmp_path):
    write_scalars(tmp_path, '20260101_000000', [{'acc/top1': 0.9, 'step': 1}])
    write_scalars(tmp_path, '20260102_000000', [
        {'loss': 1.0, 'step': 1}, {'acc/top1': 0.5, 'step': 1},
        {'acc/top1': 0.25, 'step': 2}])
    assert study.last_accuracy(str(tmp_path)) == 25.0
    with pytest.raises(KeyError, match='no validation top-1'):
        write_scalars(tmp_path / 'x', '1', [{'loss': 1.0}])
        study.last_accuracy(str(tmp_path / 'x'))
    with pytest.raises(FileNotFoundError, match='missing'):
        study.last_accuracy(str(tmp_path / 'missing'))


def test_summary_gives_mean_and_range_over_seeds():
    a = study.parse_args(['--arms', 'random', 'mme', '--seeds', '0', '1'])
    results = [
        dict(arm='random', seed=0, finetune=10.0, probe=20.0),
        dict(arm='random', seed=1, finetune=30.0, probe=20.0),
        dict(arm='mme', seed=0, finetune=50.0, probe=40.0,
             pretrain_wall_s=100.0,
             loss_traj={'model': 1.0, 'zero': 2.0, 'visible mean': 1.5}),
        dict(arm='mme', seed=1, finetune=60.0, probe=40.0,
             pretrain_wall_s=120.0,
             loss_traj={'model': 2.0, 'zero': 2.0, 'visible mean': 0.5}),
    ]
    table = study.summary(results, a)
    assert '| random | 20.0 (10.0-30.0) | 20.0 (20.0-20.0) | - | - |' in table
    assert ('| mme | 55.0 (50.0-60.0) | 40.0 (40.0-40.0) | '
            '1.500 / 2.000 / 1.000 | 110 |') in table


def test_bad_arguments_exit_before_anything_runs(tmp_path, capsys):
    for argv in (['--seeds', '1', '1'], ['--arms', 'pixels'],
                 ['--pretrain-epochs', '2']):
        with pytest.raises(SystemExit) as e:
            study.main(['--work-dir', str(tmp_path / 'w'), *argv])
        assert e.value.code == 2
    assert not (tmp_path / 'w').exists()
    assert 'repeats a seed' in capsys.readouterr().err


def test_tiny_study_end_to_end_and_resumed(tmp_path, capsys):
    loader = ['num_workers=0', 'persistent_workers=False', 'batch_size=3']
    argv = [
        '--work-dir', str(tmp_path / 'work'), '--data-root',
        str(tmp_path / 'data'), '--arms', 'random', 'mme', 'mam2', '--seeds',
        '0',
        '1', '--pretrain-videos', '1', '--labelled-videos', '1',
        '--val-videos', '1', '--pretrain-epochs', '3', '--finetune-epochs',
        '3', '--pretrain-options', 'model.backbone.arch.depth=1',
        *(f'train_dataloader.{o}' for o in loader), '--finetune-options',
        'model.backbone.depth=1',
        *(f'{s}_dataloader.{o}' for s in ('train', 'val', 'test')
          for o in loader), '--tokenizer-options', 'ae_steps=20', 'steps=10',
        'batch_size=4', 'val_videos=1'
    ]
    study.main(argv)
    work = tmp_path / 'work'
    table = (work / 'study.md').read_text()
    rows = re.findall(r'^\| (\w+) \| ([0-9.]+) \(([0-9.]+)-([0-9.]+)\) \| '
                      r'([0-9.]+) \([0-9.-]+\) \| (.+?) \| (.+?) \|$',
                      table, re.M)
    assert [r[0] for r in rows] == ['random', 'mme', 'mam2']
    assert rows[0][5:] == ('-', '-') and rows[2][5] == '-'
    assert re.fullmatch(r'[0-9.]+ / [0-9.]+ / [0-9.]+', rows[1][5])
    results = json.loads((work / 'study.json').read_text())['results']
    assert [(r['arm'], r['seed']) for r in results] == [
        ('random', 0), ('random', 1), ('mme', 0), ('mme', 1), ('mam2', 0),
        ('mam2', 1)]
    # One tokenizer for the study, used by both MAM2 runs.
    tokenizer = work / 'vq_tokenizer' / 'vq_tokenizer.pth'
    assert tokenizer.is_file()
    for seed in (0, 1):
        config = next((work / 'mam2' / f'seed{seed}' / 'pretrain').glob(
            'vit-tiny_toy_mam2.py')).read_text()
        assert str(tokenizer) in config
    for r in results:
        # 9 validation videos: top-1 is a whole number of videos.
        for key in ('finetune', 'probe'):
            assert r[key] * 9 / 100 == pytest.approx(
                round(r[key] * 9 / 100), abs=1e-6)
    assert results[2]['pretrain_wall_s'] > 0
    assert set(results[2]['loss_traj']) >= {'model', 'zero', 'visible mean'}
    # Every arm runs 3 epochs of the same schedule, with its own seed.
    log = next((work / 'mme' / 'seed1' / 'pretrain').glob('*/*.log'))
    text = log.read_text()
    assert 'seed: 1' in text and 'Epoch(train) [3]' in text
    # The pre-trained runs load their own seed's checkpoint; random does not.
    for arm, loads in (('mme', True), ('random', False)):
        log = next((work / arm / 'seed0' / 'finetune').glob('*/*.log'))
        assert ('seed0/pretrain/epoch_3.pth' in log.read_text()) == loads

    # A second call reuses every finished step and reports the same.
    capsys.readouterr()
    study.main(argv)
    assert '+ ' not in capsys.readouterr().out
    assert (work / 'study.md').read_text() == table
    # A step interrupted after it saved checkpoints (no done.json) runs
    # again over them, rather than being refused as another run's work dir.
    unfinished = work / 'random' / 'seed1' / 'finetune'
    (unfinished / 'done.json').unlink()
    assert (unfinished / 'last_checkpoint').is_file()
    capsys.readouterr()
    study.main(argv)
    assert '+ ' in capsys.readouterr().out
    assert (unfinished / 'done.json').is_file()

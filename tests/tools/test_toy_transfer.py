"""tools/toy_transfer.py: log parsing by hand, and the whole experiment at a
tiny size (one video per class, one epoch per run)."""
import json
import re
from pathlib import Path

import pytest
from test_train import load_tool

toy_transfer = load_tool('tools/toy_transfer.py')


def write_scalars(work_dir: Path, stamp: str, entries) -> None:
    log = work_dir / stamp / 'vis_data' / 'scalars.json'
    log.parent.mkdir(parents=True)
    log.write_text(''.join(json.dumps(e) + '\n' for e in entries))


def test_reads_the_newest_run_of_a_work_dir(tmp_path):
    write_scalars(tmp_path, '20260101_000000', [{'acc/top1': 0.9, 'step': 1}])
    losses = [{'loss_traj': v, 'step': 10 * i} for i, v in
              enumerate([9., 8., 7., 6., 5., 4., 3., 2., 1., 0.5, 0.25])]
    accs = [{'acc/top1': a, 'step': i + 1} for i, a in
            enumerate([0.2, 0.5, 0.4])]
    write_scalars(tmp_path, '20260102_000000', losses[:6] + accs[:1] +
                  losses[6:] + accs[1:])
    # 11 logged values: the last 10% is the last one; the last half is 5.
    assert toy_transfer.final_loss(str(tmp_path)) == 0.25
    assert toy_transfer.final_loss(str(tmp_path), fraction=0.5) == \
        pytest.approx((3 + 2 + 1 + 0.5 + 0.25) / 5)
    assert toy_transfer.val_accuracy(str(tmp_path)) == dict(
        last=40.0, best=50.0, best_epoch=2)


def test_a_run_without_validation_is_an_error(tmp_path):
    write_scalars(tmp_path, '20260101_000000', [{'loss': 1.0, 'step': 1}])
    with pytest.raises(KeyError, match='no validation top-1'):
        toy_transfer.val_accuracy(str(tmp_path))
    with pytest.raises(FileNotFoundError, match='scalars.json'):
        toy_transfer.val_accuracy(str(tmp_path / 'missing'))


def test_tiny_experiment_end_to_end(tmp_path, capsys):
    loader = ['num_workers=0', 'persistent_workers=False', 'batch_size=3']
    argv = [
        '--work-dir', str(tmp_path / 'work'), '--data-root',
        str(tmp_path / 'data'), '--pretrain-videos', '1',
        '--labelled-videos', '1', '--val-videos', '1', '--pretrain-options',
        'train_cfg.max_epochs=1', 'model.backbone.arch.depth=1',
        *(f'train_dataloader.{o}' for o in loader), '--finetune-options',
        'train_cfg.max_epochs=1', 'model.backbone.depth=1',
        *(f'{s}_dataloader.{o}' for s in ('train', 'val', 'test')
          for o in loader)
    ]
    toy_transfer.main(argv)
    table = (tmp_path / 'work' / 'summary.md').read_text()
    rows = re.findall(r'^\| (.+?) \| ([0-9.]+) \| ([0-9.]+) \((\d+)\) \|$',
                      table, re.M)
    assert [r[0] for r in rows] == [
        'fine-tune, MME toy pre-training', 'fine-tune, random init',
        'linear probe, MME toy pre-training', 'linear probe, random init'
    ]
    for _, last, best, epoch in rows:
        # One epoch, 9 validation videos: top-1 is a whole number of videos.
        assert last == best and epoch == '1'
        assert float(last) * 9 / 100 == pytest.approx(
            round(float(last) * 9 / 100), abs=0.06)
    assert re.search(r'clips [0-9.]+; .* zero [0-9.]+, visible mean '
                     r'[0-9.]+ \(logged .*: [0-9.]+\)', table)
    # The pre-trained runs load the toy checkpoint; the others do not.
    for name, loads in (('fine-tune_MME-toy-pre-training', True),
                        ('fine-tune_random-init', False)):
        log = next((tmp_path / 'work' / name).glob('*/*.log')).read_text()
        assert ('pretrain/epoch_1.pth' in log) == loads, name

    # A second call reuses every finished step and reports the same.
    capsys.readouterr()
    toy_transfer.main(argv)
    out = capsys.readouterr().out
    assert '+ ' not in out
    assert (tmp_path / 'work' / 'summary.md').read_text() == table

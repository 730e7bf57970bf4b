"""tools/analysis/gpu_check.sh: its CPU run (the CI smoke test), the
figures it derives from mmengine's logs, and how it reports a failure."""
import json
import os
import subprocess
import sys

import pytest
from mmengine.config import Config
from test_train import ROOT, load_tool

gpu_check = load_tool('tools/analysis/gpu_check.py')
RUN_NAMES = ['pretrain-lucas_kanade', 'pretrain-stored', 'finetune']


def table_rows(output):
    """{run: cells} of the table the report prints last."""
    lines = [line for line in output.splitlines() if line.startswith('| ')]
    header = [cell.strip() for cell in lines[0].strip('|').split('|')]
    assert header == ['run', 'device', 'iterations', 'clips/s',
                      'peak memory', 'data-wait share', 'MFU']
    rows = [[cell.strip() for cell in line.strip('|').split('|')]
            for line in lines[1:]]
    return {row[0]: dict(zip(header, row)) for row in rows}


def trajectory_source(config):
    pipeline = Config.fromfile(config).train_dataloader.dataset.pipeline
    return [s for s in pipeline if s.type == 'TrajectoryTarget'][0].source


@pytest.fixture(scope='module')
def cpu_check(tmp_path_factory):
    """The whole script on CPU (a GPU host is made to look like one)."""
    out = tmp_path_factory.mktemp('gpu_check')
    env = dict(os.environ, PYTHON=sys.executable, CUDA_VISIBLE_DEVICES='')
    done = subprocess.run(
        ['bash', str(ROOT / 'tools/analysis/gpu_check.sh'), str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out, done.stdout


def test_cpu_run_prints_every_run_with_its_figures(cpu_check):
    _, output = cpu_check
    rows = table_rows(output)
    assert list(rows) == RUN_NAMES
    for row in rows.values():
        assert row['device'].startswith('CPU')
        assert row['iterations'] == '3 (2 timed)'
        assert float(row['clips/s']) > 0
        assert 0 <= float(row['data-wait share']) <= 1
        assert float(row['MFU'].rstrip('%')) > 0
        assert row['peak memory'] == 'n/a'


def test_cpu_runs_train_the_toy_recipes_on_the_generated_data(cpu_check):
    out, _ = cpu_check
    data = str(out / 'data_cpu')
    assert trajectory_source(out / 'pretrain-lucas_kanade/config.py') == \
        dict(type='lucas_kanade')
    assert trajectory_source(out / 'pretrain-stored/config.py') == dict(
        type='stored', root=f'{data}/trajectories', video_root=data)
    for run in RUN_NAMES:
        # Batches of 2 for 3 iterations, cycling through the 9 videos.
        with open(out / run / 'train_list.txt') as f:
            assert len(f.readlines()) == 6
        meta = json.loads((out / run / 'meta.json').read_text())
        assert meta['clips_per_iteration'] == 2 and meta['warmup'] == 1
        assert meta['forward_macs'] > 0
        assert (out / run / 'status').read_text().strip() == '0'
        # Checkpoints are left out: only speed is measured.
        assert not list((out / run).glob('*.pth'))


def test_summary_times_only_the_iterations_after_the_warm_up():
    entries = [
        dict(step=1, time=10.0, data_time=9.0, memory=100),
        dict(step=2, time=3.0, data_time=0.5, memory=2048),
        dict(step=3, time=1.0, data_time=0.0, memory=1024),
        dict(step=3, accuracy=0.5),  # a line without timings
    ]
    assert gpu_check.summarize(entries, 1, 8) == dict(
        iterations=3, clips_per_s=4.0, data_wait_share=0.125, peak_gib=2.0)
    # Without CUDA mmengine logs no memory.
    for entry in entries:
        entry.pop('memory', None)
    assert gpu_check.summarize(entries, 2, 8)['peak_gib'] is None
    with pytest.raises(ValueError, match='none after the 3 of warm-up'):
        gpu_check.summarize(entries, 3, 8)


def stopped_run(out, name, status, logged):
    """A run folder as the script leaves it after ``status``."""
    folder = out / name
    folder.mkdir()
    (folder / 'meta.json').write_text(json.dumps(dict(
        config='configs/mme/vit-tiny_toy.py', iterations=30, warmup=1,
        clips_per_iteration=2, workers=1, forward_macs=1e8)))
    (folder / 'status').write_text(f'{status}\n')
    (folder / 'config.py').write_text(
        "optim_wrapper = dict(type='MixedPrecisionOptimWrapper')\n")
    if logged:
        (folder / '20260101_000000/vis_data').mkdir(parents=True)
        (folder / '20260101_000000/vis_data/scalars.json').write_text(''.join(
            json.dumps(entry) + '\n' for entry in logged))
    return folder


def test_report_keeps_the_figures_of_a_run_stopped_by_its_timeout(
        tmp_path, capsys, monkeypatch):
    # The report imports its sibling tools, as when run as a script.
    monkeypatch.syspath_prepend(str(ROOT / 'tools/analysis'))
    logged = [dict(step=i, time=2.0, data_time=0.5) for i in (1, 2, 3)]
    partial = stopped_run(tmp_path, 'pretrain-stored', 124, logged)
    empty = stopped_run(tmp_path, 'finetune', 137, [])
    (tmp_path / 'runs.txt').write_text('pretrain-stored\nfinetune\n')
    args = gpu_check.parse_args(['report', str(tmp_path)])
    assert gpu_check.report(args) == 1  # the check did not finish
    rows = table_rows(capsys.readouterr().out)
    assert rows['pretrain-stored']['iterations'] == (
        f'3 (2 timed), then timed out ({partial}/train.log)')
    assert rows['pretrain-stored']['clips/s'] == '1'
    assert rows['pretrain-stored']['data-wait share'] == '0.25'
    assert rows['finetune']['iterations'] == (
        f'failed: timed out ({empty}/train.log)')
    assert rows['finetune']['clips/s'] == '-'


def test_a_pipeline_without_trajectory_target_is_refused():
    run = gpu_check.RUNS['cpu'][0]
    pipeline = [dict(type='DecordDecodeWithTrajectoryFrames')]
    with pytest.raises(ValueError, match=r'vit-tiny_toy\.py: the training '
                       'pipeline has 0 TrajectoryTarget steps'):
        gpu_check.set_source(pipeline, run, 'data', 'trajectories')

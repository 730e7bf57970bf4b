"""tools/data/extract_trajectories.py: complete, resumable, atomic, honest."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from mme_mmaction.motion.storage import TrajectoryReader
from synthetic_video import moving_square, write_video

ROOT = Path(__file__).resolve().parents[2]
TOOL = str(ROOT / 'tools/data/extract_trajectories.py')


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    root = tmp_path_factory.mktemp('videos')
    lines = []
    for i in range(5):
        name = f'clips/v{i}.mp4'
        (root / 'clips').mkdir(exist_ok=True)
        write_video(root / name, moving_square(
            num_frames=14, velocity=(1. + i, -1.), seed=i))
        lines.append(f'{name} 0\n')
    (root / 'list.txt').write_text(''.join(lines))
    return root


def extract(videos, out, *extra, wait=True):
    command = [sys.executable, TOOL, str(videos / 'list.txt'), str(out),
               '--flow', 'tvl1', *extra]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if not wait:
        return subprocess.Popen(command, env=env, start_new_session=True,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    return subprocess.run(command, env=env, capture_output=True, text=True,
                          timeout=300)


def outputs(out):
    return sorted(p.relative_to(out) for p in out.rglob('*.npy'))


def test_killed_run_resumes_to_the_same_files(videos, tmp_path):
    reference = tmp_path / 'reference'
    done = extract(videos, reference)
    assert done.returncode == 0, done.stderr
    assert len(outputs(reference)) == 5
    reader = TrajectoryReader(str(reference / 'clips/v0.npy'))
    assert reader.num_starts == 10 and reader.grid == (12, 16)

    killed = tmp_path / 'killed'
    process = extract(videos, killed, wait=False)
    deadline = time.time() + 120
    while not outputs(killed) and time.time() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    partial = outputs(killed)
    assert 1 <= len(partial) < 5, 'kill the run mid-way'
    for name in partial:  # whatever survived the kill is complete
        assert np.array_equal(np.load(killed / name), np.load(
            reference / name), equal_nan=True)

    resumed = extract(videos, killed)
    assert resumed.returncode == 0, resumed.stderr
    assert f'{len(partial)} already done' in resumed.stdout
    assert outputs(killed) == outputs(reference)
    for name in outputs(reference):
        assert np.array_equal(np.load(killed / name), np.load(
            reference / name), equal_nan=True)


def test_failures_are_reported_and_fail_the_run(videos, tmp_path):
    (videos / 'clips' / 'broken.mp4').write_bytes(b'\x00' * 500)
    listing = (videos / 'list.txt').read_text()
    (videos / 'bad_list.txt').write_text(
        listing.splitlines(True)[0] + 'clips/broken.mp4 0\nclips/none.mp4 0\n')
    result = subprocess.run(
        [sys.executable, TOOL, str(videos / 'bad_list.txt'),
         str(tmp_path / 'out'), '--flow', 'dis'],
        env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True,
        text=True, timeout=300)
    assert result.returncode == 1
    report = (tmp_path / 'out' / 'failures.txt').read_text()
    assert 'broken.mp4' in report and 'none.mp4' in report
    assert outputs(tmp_path / 'out') == [Path('clips/v0.npy')]


def test_other_settings_into_the_same_folder_are_refused(videos, tmp_path):
    first = subprocess.run(
        [sys.executable, TOOL, str(videos / 'list.txt'), str(tmp_path),
         '--traj-len', '2'], env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    again = extract(videos, tmp_path)
    assert again.returncode == 2 and 'another OUT_DIR' in again.stderr

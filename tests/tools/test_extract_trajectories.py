"""tools/data/extract_trajectories.py: complete, resumable, atomic, honest."""
import os
import re
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


def load_tool():
    import importlib.util
    spec = importlib.util.spec_from_file_location('extract_trajectories',
                                                  TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def children(pid):
    """PIDs of the processes whose parent is ``pid``."""
    found = []
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                stat = Path(f'/proc/{entry}/stat').read_text()
            except OSError:
                continue
            if int(stat.rsplit(')', 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def forked_workers(pid):
    """Children of ``pid`` that are forks of it (same command line), not
    the short-lived helpers its imports start (e.g. ``ldconfig``)."""

    def cmdline(p):
        try:
            return Path(f'/proc/{p}/cmdline').read_bytes()
        except OSError:
            return None

    parent = cmdline(pid)
    return [c for c in children(pid) if cmdline(c) == parent]


def test_a_killed_worker_fails_its_video_only(videos, tmp_path):
    """kill -9 of a worker (as the OOM killer does): no hang, that video is
    reported, the others are extracted."""
    # A first video long enough (about a minute of TV-L1 here) that the
    # kill lands while its worker runs, even on a loaded machine.
    write_video(videos / 'clips' / 'long.mp4', moving_square(num_frames=200))
    two = videos / 'two_list.txt'
    two.write_text('clips/long.mp4 0\nclips/v1.mp4 0\n')
    command = [sys.executable, TOOL, str(two), str(tmp_path), '--flow',
               'tvl1', '--workers', '1']
    process = subprocess.Popen(command, env=dict(os.environ,
                                                 PYTHONPATH=str(ROOT)),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    deadline = time.time() + 120
    victims = forked_workers(process.pid)
    while not victims and time.time() < deadline:
        time.sleep(0.02)
        victims = forked_workers(process.pid)
    assert victims, 'no worker process appeared'
    os.kill(victims[0], signal.SIGKILL)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 1, err[-3000:]
    report = (tmp_path / 'failures.txt').read_text().splitlines()
    assert len(report) == 1 and 'killed by SIGKILL' in report[0]
    assert report[0].startswith(str(videos / 'clips' / 'long.mp4'))
    assert outputs(tmp_path) == [Path('clips/v1.npy')]


def test_isolated_jobs_report_errors_and_deaths():
    from mme_mmaction.utils import run_isolated

    def work(job):
        if job == 'raise':
            raise RuntimeError('bad frame')
        if job == 'die':
            os.kill(os.getpid(), signal.SIGKILL)
        if job == 'exit':
            os._exit(3)

    results = dict(run_isolated(['ok', 'raise', 'die', 'exit', 'ok2'], work,
                                workers=2))
    assert results == {
        'ok': None, 'ok2': None, 'raise': 'RuntimeError: bad frame',
        'die': 'the worker process was killed by SIGKILL (out of memory, '
               'or killed by hand?)',
        'exit': 'the worker process exited with status 3'}


def test_an_interrupted_run_keeps_its_failure_list(videos, tmp_path):
    (videos / 'clips' / 'garbage.mp4').write_bytes(b'\x00' * 500)
    (videos / 'slow_list.txt').write_text(
        'clips/garbage.mp4 0\n' + (videos / 'list.txt').read_text())
    process = subprocess.Popen(
        [sys.executable, TOOL, str(videos / 'slow_list.txt'), str(tmp_path),
         '--flow', 'tvl1'], env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        # A test run started in the background inherits SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 120
    while not outputs(tmp_path) and time.time() < deadline:
        time.sleep(0.05)
    # As it starts the next worker; again until it stops, as a user would:
    # one SIGINT that lands while the parent forks can go unseen.
    while process.poll() is None and time.time() < deadline:
        process.send_signal(signal.SIGINT)
        time.sleep(0.2)
    _, err = process.communicate(timeout=120)
    assert process.returncode != 0 and 'KeyboardInterrupt' in err
    report = (tmp_path / 'failures.txt').read_text()
    assert report.startswith(str(videos / 'clips' / 'garbage.mp4') + '\t')
    assert 1 <= len(outputs(tmp_path)) < 5


@pytest.mark.parametrize('option, value, message', [
    ('--cell-size', '0', '--cell-size must be at least 1'),
    ('--traj-len', '0', '--traj-len must be at least 1'),
    ('--flow-scale', '0', r'--flow-scale must be in \(0, 1\]'),
    ('--preset', 'slow', "Unknown DIS preset 'slow'"),
])
def test_bad_arguments_fail_before_anything_is_written(videos, tmp_path,
                                                       capsys, option, value,
                                                       message):
    tool = load_tool()
    out = tmp_path / 'out'
    args = [str(videos / 'list.txt'), str(out), '--flow', 'dis']
    assert tool.extract(tool.parse_args(args + [option, value])) == 2
    assert re.search(message, capsys.readouterr().err)
    assert not out.exists()
    # The corrected run is not refused.
    assert tool.extract(tool.parse_args(args + ['--traj-len', '2'])) == 0
    assert len(outputs(out)) == 5


def test_outputs_stay_inside_out_dir_and_never_collide(videos, tmp_path,
                                                       capsys):
    tool = load_tool()
    inside = videos / 'clips' / 'v1.mp4'
    (videos / 'clips' / 'v0.avi').write_bytes(b'')
    (videos / 'escape_list.txt').write_text(
        f'clips/v0.mp4 0\n{inside} 0\n../elsewhere/x.mp4 0\n'
        '/tmp/outside.mp4 1\nclips/v0.avi 0\nclips/../clips/v0.mp4 0\n')
    out = tmp_path / 'out'
    assert tool.extract(tool.parse_args(
        [str(videos / 'escape_list.txt'), str(out)])) == 2
    err = capsys.readouterr().err
    assert 'line 3: ../elsewhere/x.mp4 is not below the video root' in err
    assert 'line 4: /tmp/outside.mp4 is not below the video root' in err
    assert (f'{videos}/clips/v0.avi and {videos}/clips/v0.mp4 would share '
            'the output clips/v0.npy') in err
    assert not out.exists()
    # An absolute path below the root, or one listed twice, is fine.
    assert tool.read_list(str(videos / 'escape_list.txt').replace(
        'escape_list', 'list'), str(videos))[1] == (str(inside), 'clips/v1')


def test_a_malformed_list_line_is_named_as_the_datasets_name_it(
        videos, tmp_path, capsys):
    tool = load_tool()
    bad = tmp_path / 'bad_list.txt'
    bad.write_text('clips/v0.mp4 0\n\nclips/v1.mp4  0\n')
    assert tool.extract(tool.parse_args(
        [str(bad), str(tmp_path / 'out'), '--video-root', str(videos)])) == 2
    assert (f'{bad}:3: 2 spaces between path and label'
            in capsys.readouterr().err)
    assert not (tmp_path / 'out').exists()


def test_an_unwritable_out_dir_fails_at_once(videos, tmp_path, capsys):
    tool = load_tool()
    blocker = tmp_path / 'a_file'
    blocker.write_text('')
    # Root ignores permission bits, so "unwritable" is a path below a file.
    assert tool.extract(tool.parse_args(
        [str(videos / 'list.txt'), str(blocker / 'out')])) == 2
    assert f'cannot write to {blocker / "out"}' in capsys.readouterr().err


def test_temporary_files_of_dead_writers_are_removed(videos, tmp_path):
    from mme_mmaction.motion.storage import temporary_path
    tool = load_tool()
    dead = subprocess.Popen(['true'])
    dead.wait()
    clips = tmp_path / 'clips'
    clips.mkdir()
    stale = Path(temporary_path(str(clips / 'v0.npy')).replace(
        f'-{os.getpid()}-', f'-{dead.pid}-'))
    live = Path(temporary_path(str(clips / 'v9.npy')))
    stale.write_bytes(b'partial')
    live.write_bytes(b'being written')
    assert tool.remove_stale_temporaries(str(tmp_path)) == 1
    assert not stale.exists() and live.exists()


def test_user_files_named_like_old_temporaries_survive(videos, tmp_path):
    """A video named like a temporary is extracted (not deleted, not
    taken for unfinished), and a file the tool did not make is kept."""
    import shutil
    root = tmp_path / 'videos'
    (root / 'clips').mkdir(parents=True)
    name = f'clips/clip.tmp-{2 ** 22 + 1}'
    shutil.copy(videos / 'clips' / 'v0.mp4', root / f'{name}.mp4')
    (root / 'list.txt').write_text(f'{name}.mp4 0\n')
    out = root  # the outputs beside the videos, as a user may choose
    note = root / 'clips' / f'.notes.tmp-{2 ** 22 + 1}'
    note.write_text('mine')
    command = [sys.executable, TOOL, str(root / 'list.txt'), str(out),
               '--flow', 'tvl1']
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for expected in ('0 already done', '1 already done'):
        done = subprocess.run(command, env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert expected in done.stdout
    assert (root / f'{name}.mp4').exists() and note.read_text() == 'mine'
    assert (root / f'{name}.npy').exists()


@pytest.mark.parametrize('keep', [100, 0.5])
def test_a_truncated_output_is_extracted_again(videos, tmp_path, keep):
    first = extract(videos, tmp_path)
    assert first.returncode == 0, first.stderr
    target = tmp_path / 'clips' / 'v2.npy'
    whole = target.read_bytes()
    target.write_bytes(whole[:int(len(whole) * keep) if keep < 1 else keep])
    again = extract(videos, tmp_path)
    assert again.returncode == 0, again.stderr
    assert ('4 already done; 1 incomplete outputs will be extracted again'
            in again.stdout)
    assert target.read_bytes() == whole


def test_a_second_run_into_a_busy_out_dir_is_refused(videos, tmp_path,
                                                     capsys):
    import fcntl
    tool = load_tool()
    tmp_path.mkdir(exist_ok=True)
    with open(tmp_path / tool.LOCK, 'a') as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert tool.extract(tool.parse_args(
            [str(videos / 'list.txt'), str(tmp_path), '--traj-len', '2'])) == 2
    assert (f'another extraction is writing into {tmp_path}'
            in capsys.readouterr().err)
    assert not outputs(tmp_path)
    assert not (tmp_path / 'manifest.json').exists()
    # Once the other run has ended, the same command runs.
    assert tool.extract(tool.parse_args(
        [str(videos / 'list.txt'), str(tmp_path), '--traj-len', '2'])) == 0


@pytest.mark.parametrize('where', ['folder', 'file'])
def test_symbolic_links_inside_out_dir_are_refused(videos, tmp_path, capsys,
                                                   where):
    tool = load_tool()
    out, elsewhere = tmp_path / 'out', tmp_path / 'elsewhere'
    out.mkdir()
    elsewhere.mkdir()
    victim = elsewhere / 'v1.npy'
    victim.write_text('precious')
    if where == 'folder':
        link = out / 'clips'
        link.symlink_to(elsewhere, target_is_directory=True)
    else:
        (out / 'clips').mkdir()
        link = out / 'clips' / 'v1.npy'
        link.symlink_to(victim)
    assert tool.extract(tool.parse_args(
        [str(videos / 'list.txt'), str(out), '--traj-len', '2'])) == 2
    err = capsys.readouterr().err
    assert f'{link} -> {elsewhere if where == "folder" else victim}' in err
    assert victim.read_text() == 'precious'
    assert sorted(p.name for p in elsewhere.iterdir()) == ['v1.npy']
    assert not (out / 'manifest.json').exists()


def test_a_cell_larger_than_the_frames_is_refused(videos, tmp_path, capsys):
    tool = load_tool()
    assert tool.extract(tool.parse_args(
        [str(videos / 'list.txt'), str(tmp_path / 'out'),
         '--cell-size', '200'])) == 2
    assert (f'--cell-size 200 is larger than the frames of '
            f'{videos / "clips" / "v0.mp4"} (96x128)'
            in capsys.readouterr().err)
    assert not (tmp_path / 'out').exists()


def test_decoding_is_chunked_and_memory_does_not_grow_with_length(tmp_path):
    """Peak numpy memory of a 120-frame 320 x 240 video: all RGB frames
    (27.6 MB) and flows (73 MB) at once would take 100 MB; a chunk of 16
    frames (3.7 MB), L = 4 flows (2.5 MB) and the output (4.5 MB, twice
    while it is stacked) take under 20 MB."""
    import tracemalloc

    import decord
    from mme_mmaction.motion import OpticalFlow, native_grid_trajectories
    tool = load_tool()
    video = write_video(tmp_path / 'long.mp4', moving_square(
        num_frames=120, size=(240, 320), square=64))
    sizes = []
    get_batch = decord.VideoReader.get_batch

    def recording(self, indices):
        sizes.append(len(indices))
        return get_batch(self, indices)

    decord.VideoReader.get_batch = recording
    try:
        frames = list(tool.decode_grey(str(video), chunk=50))
    finally:
        decord.VideoReader.get_batch = get_batch
    assert sizes == [50, 50, 20] and len(frames) == 120
    tracemalloc.start()
    traj, valid = native_grid_trajectories(
        tool.decode_grey(str(video), chunk=16),
        OpticalFlow('dis', preset='ultrafast'), traj_len=4)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert traj.shape == (116, 4, 2, 30, 40) and valid.shape == (116, 30, 40)
    assert peak < 20e6, peak

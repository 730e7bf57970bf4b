"""The launch scripts run the interpreter the docs name: $PYTHON, else the
repository's .venv, never merely the first `python` on PATH."""
import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = str(ROOT / 'configs/mme/vit-tiny_toy.py')
VENV_PYTHON = ROOT / '.venv' / 'bin' / 'python'
# A stand-in for srun: records its command and runs it once.
FAKE_SRUN = '''#!{python}
import json, os, subprocess, sys
command = sys.argv[sys.argv.index('--kill-on-bad-exit=1') + 1:]
with open(os.environ['SRUN_RECORD'], 'w') as f:
    json.dump(command, f)
sys.exit(subprocess.call(command))
'''


def executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def poisoned_path(tmp_path):
    """A PATH whose first python and python3 fail loudly, with srun."""
    folder = tmp_path / 'bin'
    folder.mkdir()
    for name in ('python', 'python3'):
        executable(folder / name, '#!/bin/sh\necho "the wrong python" >&2\n'
                   'exit 97\n')
    executable(folder / 'srun', FAKE_SRUN.format(python=sys.executable))
    return f'{folder}:{os.environ["PATH"]}'


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return str(sock.getsockname()[1])


def launch(script, args, path, tmp_path, **env):
    environ = {k: v for k, v in os.environ.items() if k != 'PYTHON'}
    environ.update(PATH=path, PORT=free_port(),
                   SRUN_RECORD=str(tmp_path / 'srun.json'), **env)
    return subprocess.run(['bash', str(ROOT / 'tools' / script), *args],
                          env=environ, capture_output=True, text=True,
                          timeout=300)


SCRIPTS = [
    ('dist_train.sh', [CONFIG, '1', '--help']),
    ('dist_test.sh', [CONFIG, 'x.pth', '1', '--help']),
    ('slurm_train.sh', ['partition', 'job', CONFIG, '--help']),
    ('slurm_test.sh', ['partition', 'job', CONFIG, 'x.pth', '--help']),
]


@pytest.mark.parametrize('script, args', SCRIPTS,
                         ids=[s for s, _ in SCRIPTS])
def test_python_is_the_interpreter(script, args, poisoned_path, tmp_path):
    done = launch(script, args, poisoned_path, tmp_path,
                  PYTHON=sys.executable, GPUS='1', GPUS_PER_NODE='1')
    assert done.returncode == 0, done.stderr[-2000:]
    assert 'usage:' in done.stdout and 'the wrong python' not in done.stderr
    if script.startswith('slurm'):
        record = json.loads((tmp_path / 'srun.json').read_text())
        assert record[0] == sys.executable


@pytest.mark.skipif(not VENV_PYTHON.exists(),
                    reason=f'no {VENV_PYTHON} (make creates it)')
@pytest.mark.parametrize('script, args', SCRIPTS[::2],
                         ids=[s for s, _ in SCRIPTS[::2]])
def test_without_python_the_repositorys_venv_runs(script, args,
                                                  poisoned_path, tmp_path):
    done = launch(script, args, poisoned_path, tmp_path, GPUS='1',
                  GPUS_PER_NODE='1')
    assert done.returncode == 0, done.stderr[-2000:]
    assert 'the wrong python' not in done.stderr
    if script.startswith('slurm'):
        record = json.loads((tmp_path / 'srun.json').read_text())
        assert record[0] == str(VENV_PYTHON)

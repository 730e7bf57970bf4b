"""Open each video in a helper process first: a crash there names the file.

decord kills the process on some corrupt files (a truncated MJPG AVI
opened from memory, as MMAction2's ``DecordInit`` opens every video,
segfaults), and no Python code can catch that. So each process that opens
videos keeps one helper process (started on first use, a bare interpreter
that imports only decord) which opens every new video the same way first
and answers whether it survived. Its verdict is remembered per file
(path, size and modification time), so each video is probed once per
process.

Run as a script, this file is that helper.
"""
import atexit
import os
import signal
import struct
import subprocess
import sys
import threading
from typing import IO, Dict, Optional, Tuple

# Each request: the video's size, then its bytes; each answer: one byte.
_SIZE = struct.Struct('<Q')
# Runs this file as a script without importing the package (torch and
# MMAction2 are not needed to open a video).
_BOOT = 'import runpy, sys; runpy.run_path(sys.argv[1], run_name="__main__")'

# Signals of a fault in the process itself; others come from outside
# (the OOM killer, a user) and say nothing about the video.
_CRASHES = {signal.SIGSEGV, signal.SIGBUS, signal.SIGFPE, signal.SIGILL,
            signal.SIGABRT}

_lock = threading.Lock()
_helper: Optional[subprocess.Popen] = None
_helper_owner: Optional[int] = None
_verdicts: Dict[Tuple[str, int, Optional[int]], Optional[str]] = {}


class ProbeError(RuntimeError):
    """The helper process failed for a reason other than a video."""


def crash_of(filename: str, data: bytes) -> Optional[str]:
    """How decord dies opening a video from memory, if it does.

    Args:
        filename (str): The video's name, with its size and modification
            time (when it is a local file) the key of the verdict.
        data (bytes): The video's content.

    Returns:
        str | None: The signal that kills decord, e.g. ``'SIGSEGV'``, or
        None if it opens the video or raises an error instead.

    Raises:
        ProbeError: If the helper process fails for another reason.
    """
    try:
        mtime = os.stat(filename).st_mtime_ns
    except OSError:  # not a local file
        mtime = None
    key = (filename, len(data), mtime)
    with _lock:
        if key not in _verdicts:
            _verdicts[key] = _probe(data)
        return _verdicts[key]


def _probe(data: bytes) -> Optional[str]:
    """Open ``data`` in the helper; the signal that killed it, if any."""
    global _helper, _helper_owner
    # A forked data-loader worker shares its parent's helper: start its own.
    if _helper is None or _helper_owner != os.getpid():
        _helper = subprocess.Popen(
            [sys.executable, '-c', _BOOT, __file__],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            # decord from wherever this process imported it.
            env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
        _helper_owner = os.getpid()
        atexit.register(_stop, _helper, _helper_owner)
    try:
        _helper.stdin.write(_SIZE.pack(len(data)))
        _helper.stdin.write(data)
        _helper.stdin.flush()
        answered = _helper.stdout.read(1) == b'.'
    except BrokenPipeError:
        answered = False
    if answered:
        return None
    status, _helper = _helper.wait(), None
    if status < 0 and -status in _CRASHES:
        return signal.Signals(-status).name
    ended = (f'was killed by {signal.Signals(-status).name}' if status < 0
             else f'exited with status {status}')
    raise ProbeError(f'The decord probe process ({sys.executable} '
                     f'{__file__}) {ended}.')


def _stop(helper: subprocess.Popen, owner: int) -> None:
    """End a helper this process started: it exits when its input closes."""
    if owner == os.getpid() and helper.returncode is None:
        helper.stdin.close()
        helper.wait()


def _serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """The helper: open each video sent, answer once it is open."""
    import io

    import decord
    while True:
        size = requests.read(_SIZE.size)
        if len(size) < _SIZE.size:  # the owner closed the pipe or exited
            return
        data = requests.read(_SIZE.unpack(size)[0])
        try:
            # What DecordInit does with a video.
            reader = decord.VideoReader(io.BytesIO(data), num_threads=1)
            _ = len(reader), reader.get_avg_fps()
        except Exception:  # an error, not a crash: the transform names it
            pass
        answers.write(b'.')
        answers.flush()


if __name__ == '__main__':
    # Ctrl-C reaches the whole process group; the helper ends with its
    # owner instead, when its input closes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Answers go to the original stdout; anything decord prints to stdout
    # goes to stderr instead of into them.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), 'wb')
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(sys.stdin.buffer, answers)

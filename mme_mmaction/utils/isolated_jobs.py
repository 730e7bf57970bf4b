"""Run jobs in processes of their own, and know which one a dying
process took with it."""
import multiprocessing
import multiprocessing.connection
import signal
from typing import Callable, Dict, Iterable, Iterator, Optional, Tuple, TypeVar

Job = TypeVar('Job')


def _child(work: Callable[[Job], None], job: Job,
           conn: multiprocessing.connection.Connection) -> None:
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    try:
        work(job)
        conn.send(None)
    except BaseException as error:  # reported per job, never raised
        conn.send(f'{type(error).__name__}: {error}')
    finally:
        conn.close()


def _death(exitcode: int) -> str:
    if exitcode < 0:
        name = signal.Signals(-exitcode).name
        return (f'the worker process was killed by {name} (out of memory, '
                'or killed by hand?)')
    return f'the worker process exited with status {exitcode}'


def run_isolated(jobs: Iterable[Job], work: Callable[[Job], None],
                 workers: int = 1
                 ) -> Iterator[Tuple[Job, Optional[str]]]:
    """Run ``work(job)`` for every job, each in a fresh forked process.

    At most ``workers`` processes run at once. A job that raises, and a
    process that dies (the OOM killer's SIGKILL, a crash in native code),
    fail that one job only: the others go on, and the dead process's
    memory is returned. A pool of long-lived workers would instead hang
    forever on a job lost with its worker. As with any fork, thread pools
    that have run in this process are unusable in the children: e.g. call
    ``cv2.setNumThreads(1)`` before, if the work uses OpenCV.

    Args:
        jobs (Iterable): The jobs, picklable or not (they are forked).
        work (Callable): Does one job; its return value is ignored.
        workers (int): Processes at once. Defaults to 1.

    Yields:
        tuple: ``(job, None)`` when a job is done, ``(job, reason)`` when
        it failed, in the order they finish.
    """
    context = multiprocessing.get_context('fork')
    running: Dict[int, tuple] = {}
    pending = iter(jobs)

    def start_next() -> None:
        for job in pending:
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(
                target=_child, args=(work, job, sender), daemon=True)
            # A Ctrl-C during the fork would be swallowed by the at-fork
            # hooks (logging's); held back, it is raised right after.
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                process.start()
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
            sender.close()
            running[process.sentinel] = (process, receiver, job)
            return

    for _ in range(max(workers, 1)):
        start_next()
    try:
        while running:
            for sentinel in multiprocessing.connection.wait(list(running)):
                process, receiver, job = running.pop(sentinel)
                process.join()
                try:
                    reason = receiver.recv()
                except EOFError:  # it died before it could report
                    reason = _death(process.exitcode)
                receiver.close()
                start_next()
                yield job, reason
    finally:  # an interrupted caller leaves no workers behind
        for process, receiver, _ in running.values():
            process.kill()
            process.join()
            receiver.close()

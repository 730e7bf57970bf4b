"""One training run per work dir, unless the user says otherwise."""
import contextlib
import fcntl
import os
import os.path as osp
from typing import Iterator

from mmengine.dist import get_rank

LOCK = '.train.lock'
POINTER = 'last_checkpoint'


class WorkDirInUseError(RuntimeError):
    """Another run uses the work dir, or an earlier one left checkpoints."""


class WorkDirClaimMixin:
    """Training that refuses a work dir another run writes or wrote.

    Two runs in one work dir would overwrite each other's ``epoch_N.pth``
    and ``last_checkpoint``. ``train()`` therefore takes the work dir's lock
    (``.train.lock``, held until the run ends; rank 0 only) and refuses a
    work dir that another live run holds. A new run (not resuming) in a work
    dir that holds an earlier run's ``last_checkpoint`` is refused too,
    unless the config sets ``overwrite_work_dir=True`` (``tools/train.py
    --overwrite``): then the earlier pointer is removed at the start and its
    checkpoints are overwritten as the new run saves.
    """

    def train(self):
        """mmengine's ``train``, holding the work dir."""
        with self._claim_work_dir():
            return super().train()

    @contextlib.contextmanager
    def _claim_work_dir(self) -> Iterator[None]:
        if get_rank() != 0:
            yield
            return
        os.makedirs(self.work_dir, exist_ok=True)
        with open(osp.join(self.work_dir, LOCK), 'a') as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise WorkDirInUseError(
                    f'Another training run is writing into {self.work_dir} '
                    f'(it holds {lock.name}): use another --work-dir, or wait '
                    'for it to end.') from None
            self._refuse_earlier_run()
            yield

    def _refuse_earlier_run(self) -> None:
        pointer = osp.join(self.work_dir, POINTER)
        if self._resume or not osp.exists(pointer):
            return
        if not self.cfg.get('overwrite_work_dir', False):
            with open(pointer) as f:
                last = f.read().strip()
            raise WorkDirInUseError(
                f'{self.work_dir} holds the checkpoints of an earlier run '
                f'(last: {last or "unknown"}), which this run would '
                'overwrite. Continue it with --resume, use another '
                '--work-dir, or start afresh over it with --overwrite.')
        os.remove(pointer)
        self.logger.warning(f'Overwriting the earlier run in {self.work_dir} '
                            '(overwrite_work_dir): its last_checkpoint is '
                            'removed, its checkpoints are replaced as this '
                            'run saves.')

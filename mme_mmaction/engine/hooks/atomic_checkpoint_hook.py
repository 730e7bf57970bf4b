"""mmengine's CheckpointHook, which deletes old checkpoints only after the
new one is complete."""
import contextlib
from typing import Iterator, List, Tuple

from mmaction.registry import HOOKS
from mmengine.hooks import CheckpointHook


class _DeferredRemovals:
    """A file backend whose ``remove``/``rmtree`` wait to be replayed."""

    def __init__(self, backend) -> None:
        self._backend = backend
        self.pending: List[Tuple[str, str]] = []

    def remove(self, path: str) -> None:
        self.pending.append(('remove', path))

    def rmtree(self, path: str) -> None:
        self.pending.append(('rmtree', path))

    def __getattr__(self, name: str):
        return getattr(self._backend, name)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """``CheckpointHook`` that never deletes the last good checkpoint first.

    mmengine 0.10.7 removes the oldest kept checkpoint (``max_keep_ckpts``)
    and the previous best one (``save_best``) *before* saving the new one:
    a run killed while saving, or a save that fails (a full disk, non-finite
    weights), is left with no complete checkpoint and a ``last_checkpoint``
    naming a deleted file. Here those removals wait until the new
    checkpoint is saved (and ``last_checkpoint`` points to it); a failed
    save removes nothing. Our runner (``AnyDeviceRunner``) saves each file
    atomically. Arguments are ``CheckpointHook``'s.
    """

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        with self._removals_after_saving():
            super()._save_checkpoint_with_step(runner, step, meta)

    def _save_best_checkpoint(self, runner, metrics) -> None:
        with self._removals_after_saving():
            super()._save_best_checkpoint(runner, metrics)

    @contextlib.contextmanager
    def _removals_after_saving(self) -> Iterator[None]:
        backend = self.file_backend
        deferred = _DeferredRemovals(backend)
        self.file_backend = deferred
        try:
            yield
        finally:
            self.file_backend = backend
        # Reached only when the save succeeded.
        for method, path in deferred.pending:
            getattr(backend, method)(path)

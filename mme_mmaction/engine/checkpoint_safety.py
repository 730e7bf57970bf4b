"""Runner methods that never write a bad checkpoint nor load one unawares."""
import os.path as osp
import re
from typing import Iterator, List, Optional, Sequence, Tuple

import torch
from mmengine.dist import master_only
from mmengine.model import is_model_wrapper

from mme_mmaction.motion.storage import atomic_write
from mme_mmaction.checkpoints.file_checks import (CheckpointFileError,
                                                  check_checkpoint_file,
                                                  checkpoint_problem,
                                                  complete_checkpoints)

_REVISE_KEYS = [(r'^module\.', '')]


class CheckpointSafetyMixin:
    """Checkpoint handling for an mmengine ``Runner`` subclass.

    * **Saving** writes a hidden temporary file and renames it, so a
      checkpoint is whole or absent, whatever kills the process (with
      :class:`~mme_mmaction.engine.hooks.AtomicCheckpointHook`, older
      checkpoints are pruned only after the new one is complete). Weights
      that are not finite are never saved: ``FloatingPointError``.
    * **Resuming** (``resume=True``) takes a checkpoint file or a work dir
      (its ``last_checkpoint``). A missing, empty or truncated checkpoint
      is an error naming it and the newest complete one; with the config
      key ``resume_fallback=True`` (``tools/train.py --resume-fallback``)
      the run resumes from that one instead, with a warning.
    * **Loading** (``load_from``, and ``Pretrained`` files in the model's
      ``init_cfg``) checks the file first: one line naming it and what it
      is, never torch's unpickling advice. ``test()`` and ``val()`` refuse
      a checkpoint that lacks weights of the model (a pre-training
      checkpoint given to a recognizer would be scored with a random head).
    """

    @master_only
    def save_checkpoint(self,
                        out_dir: str,
                        filename: str,
                        file_client_args: Optional[dict] = None,
                        save_optimizer: bool = True,
                        save_param_scheduler: bool = True,
                        meta: Optional[dict] = None,
                        by_epoch: bool = True,
                        backend_args: Optional[dict] = None) -> None:
        """mmengine's ``save_checkpoint``, finite and whole or not at all.

        Args are mmengine's ``Runner.save_checkpoint``'s.

        Raises:
            FloatingPointError: If a weight is inf or NaN (nothing written).
        """
        self._check_finite_weights()
        save = super().save_checkpoint
        options = dict(
            file_client_args=file_client_args,
            save_optimizer=save_optimizer,
            save_param_scheduler=save_param_scheduler,
            meta=meta,
            by_epoch=by_epoch,
            backend_args=backend_args)
        if '://' in out_dir or file_client_args or backend_args:
            return save(out_dir, filename, **options)  # a remote backend
        atomic_write(
            osp.join(out_dir, filename),
            lambda tmp: save(osp.dirname(tmp), osp.basename(tmp), **options))

    def _check_finite_weights(self) -> None:
        model = self.model.module if is_model_wrapper(self.model) \
            else self.model
        bad = [name for name, param in model.named_parameters()
               if not bool(torch.isfinite(param).all())]
        if bad:
            raise FloatingPointError(
                f'Non-finite weights after iteration {self.iter} (epoch '
                f'{self.epoch + 1}) in {len(bad)} parameters ('
                f'{", ".join(bad[:3])}{", ..." if len(bad) > 3 else ""}): '
                'no checkpoint was written and none deleted. Resume from the '
                'last checkpoint after fixing the input or lowering the '
                'learning rate.')

    def load_or_resume(self) -> None:
        """mmengine's, with the resume source resolved and checked first."""
        if self._has_loaded:
            return
        if self._resume:
            path = self._resume_path()
            if path is None:
                self.logger.info(f'Nothing to resume in {self.work_dir} (no '
                                 'last_checkpoint): training from scratch.')
                self._resume = False
            self._load_from = path
        elif self._load_from is not None:
            check_checkpoint_file(self._load_from, 'load_from')
        super().load_or_resume()

    def _resume_path(self) -> Optional[str]:
        """The complete checkpoint to resume from; None: nothing to resume.

        Raises:
            CheckpointFileError: Naming the missing, empty or truncated
                checkpoint (or pointer), and what to do.
        """
        source = self._load_from or self.work_dir
        if osp.isdir(source):
            pointer = osp.join(source, 'last_checkpoint')
            if not osp.exists(pointer):
                if self._load_from is None:
                    return None
                raise CheckpointFileError(
                    f'--resume {source}: a folder without last_checkpoint. '
                    'Give a checkpoint file, or the work dir of a run that '
                    'saved one.')
            with open(pointer) as f:
                path = f.read().strip()
            problem = (checkpoint_problem(path) if path else
                       f'(named by {pointer}) is empty')
        else:
            path = source
            problem = checkpoint_problem(path)
        if problem is None:
            return path
        complete = complete_checkpoints(osp.dirname(path) or self.work_dir)
        message = f'Cannot resume: {path} {problem}.'
        if not complete:
            raise CheckpointFileError(
                f'{message} No complete checkpoint is left beside it.')
        if not self.cfg.get('resume_fallback', False):
            raise CheckpointFileError(
                f'{message} The newest complete checkpoint there is '
                f'{complete[0]}: resume from it with --resume {complete[0]} '
                '(or --resume-fallback).')
        self.logger.warning(f'{message} Resuming from the newest complete '
                            f'checkpoint, {complete[0]} (resume_fallback).')
        return complete[0]

    def load_checkpoint(self,
                        filename: str,
                        map_location: str = 'cpu',
                        strict: bool = False,
                        revise_keys: Sequence[Tuple[str, str]] = tuple(
                            _REVISE_KEYS)) -> dict:
        """mmengine's ``load_checkpoint``, checked before and, for a test,
        after (every weight of the model must come from the file)."""
        check_checkpoint_file(filename, 'load_from')
        checkpoint = super().load_checkpoint(filename, map_location, strict,
                                             list(revise_keys))
        if getattr(self, '_whole_model_needed', False):
            missing = self._missing_weights(checkpoint, revise_keys)
            if missing:
                raise CheckpointFileError(
                    f'{filename} has no weights for {len(missing)} '
                    f'parameters of the model ({", ".join(missing[:4])}'
                    f'{", ..." if len(missing) > 4 else ""}), so they would '
                    'be scored as randomly initialised. A pre-training '
                    'checkpoint? Fine-tune it with a recognition config '
                    'first (docs/finetuning.md).')
        return checkpoint

    def _missing_weights(self, checkpoint: dict,
                         revise_keys: Sequence[Tuple[str, str]]
                         ) -> List[str]:
        state = checkpoint.get('state_dict', checkpoint)
        names = set(state)
        for pattern, replacement in revise_keys:
            names = {re.sub(pattern, replacement, name) for name in names}
        model = self.model.module if is_model_wrapper(self.model) \
            else self.model
        return [name for name, _ in model.named_parameters()
                if name not in names]

    def test(self) -> dict:
        """mmengine's ``test``; the checkpoint must hold the whole model."""
        self._whole_model_needed = True
        return super().test()

    def val(self) -> dict:
        """mmengine's ``val``; the checkpoint must hold the whole model."""
        self._whole_model_needed = True
        return super().val()

    def _init_model_weights(self) -> None:
        """mmengine's, after checking the model's ``Pretrained`` files."""
        for key, path in _pretrained_files(self.cfg.get('model', {}),
                                           'model'):
            check_checkpoint_file(path, key)
        super()._init_model_weights()


def _pretrained_files(node: object, key: str) -> Iterator[Tuple[str, str]]:
    """(config key, file) of every ``Pretrained`` init in a model config."""
    if isinstance(node, dict):
        if node.get('type') == 'Pretrained' and node.get('checkpoint'):
            yield f'{key}.checkpoint', node['checkpoint']
        for name, value in node.items():
            yield from _pretrained_files(value, f'{key}.{name}')
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            yield from _pretrained_files(value, f'{key}.{index}')

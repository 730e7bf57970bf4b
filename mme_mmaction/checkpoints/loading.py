"""Load a checkpoint to convert, and find its state dict."""
import os.path as osp
import zipfile
from typing import Any, Dict, List, Mapping

import torch
from torch import Tensor

from .file_checks import checkpoint_problem


def _unsafe_globals(path: str) -> List[str]:
    """What a zip checkpoint would unpickle beyond the allowed objects."""
    if not zipfile.is_zipfile(path):
        return []
    try:
        return torch.serialization.get_unsafe_globals_in_checkpoint(path)
    except Exception:  # a damaged archive: reported as not a checkpoint
        return []


def load_checkpoint_file(path: str,
                         trust_source: bool = False) -> Dict[str, Any]:
    """Load a checkpoint to convert, refusing what it cannot vouch for.

    Files are loaded with ``weights_only=True`` (plus the mmengine objects
    :mod:`mme_mmaction.compat` allows). Some files need a full unpickling,
    which can run any code they hold: the MME release's checkpoints pickle
    an ``argparse.Namespace``. Those load only with ``trust_source=True``.

    Args:
        path (str): The checkpoint file.
        trust_source (bool): Unpickle in full if needed. Defaults to False.

    Returns:
        dict: The loaded checkpoint.

    Raises:
        ValueError: With one line naming the file and the problem: missing,
            empty, not a checkpoint, not a dict, or (without
            ``trust_source``) in need of a full unpickling.
    """
    if not osp.isfile(path):
        raise ValueError(f'{path}: no such file.')
    problem = checkpoint_problem(path)
    if problem is not None:
        raise ValueError(f'{path} {problem}.')
    try:
        checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as error:
        unsafe = _unsafe_globals(path)
        if unsafe and not trust_source:
            raise ValueError(
                f'{path} holds objects that only a full unpickling can load '
                f'({", ".join(unsafe)}), which would run any code the file '
                'contains; if you trust its source, rerun with '
                '--trust-source.') from error
        if not trust_source:
            raise ValueError(f'{path} is not a PyTorch checkpoint '
                             f'({type(error).__name__}).') from error
        try:
            checkpoint = torch.load(
                path, map_location='cpu', weights_only=False)
        except Exception as full_error:
            raise ValueError(
                f'{path} is not a PyTorch checkpoint '
                f'({type(full_error).__name__}).') from full_error
    if not isinstance(checkpoint, Mapping):
        raise ValueError(f'{path} holds a {type(checkpoint).__name__}, not '
                         'a checkpoint dict.')
    return dict(checkpoint)


def extract_state_dict(checkpoint: Mapping[str, Any]) -> Dict[str, Tensor]:
    """The state dict inside a loaded checkpoint.

    Args:
        checkpoint (Mapping): ``torch.load`` result: a dict with
            ``state_dict`` (mmengine), ``module`` (DeepSpeed) or ``model``
            (the release, VideoMAE), or a bare state dict.

    Returns:
        dict[str, Tensor]: The parameters and buffers.
    """
    for container in ('state_dict', 'module', 'model'):
        if isinstance(checkpoint.get(container), Mapping):
            return dict(checkpoint[container])
    if all(isinstance(v, Tensor) for v in checkpoint.values()):
        return dict(checkpoint)
    raise ValueError('No state dict found: expected a state_dict, module or '
                     f'model entry, got keys {sorted(checkpoint)}.')

"""Data-sample fields stacked into batch tensors."""
from typing import List

import numpy as np
import torch
from mmengine.structures import BaseDataElement
from torch import Tensor


def stack_field(data_samples: List[BaseDataElement], key: str,
                device: torch.device, reader: str) -> Tensor:
    """A data-sample field stacked over the batch.

    Args:
        data_samples (list[BaseDataElement]): The batch's samples.
        key (str): The field, e.g. ``'trajectories'``.
        device (torch.device): Where the tensor goes.
        reader (str): What reads it, for the error, e.g.
            ``'model.motion_generator'``.

    Returns:
        Tensor: (B, ...) the field of every sample.

    Raises:
        KeyError: If a sample lacks the field, naming it, its reader and
            the fix.
    """
    if not all(key in sample for sample in data_samples):
        raise KeyError(
            f'Data samples lack {key!r}, which {reader} reads: the '
            'pipeline must make it (see the target generator) and pack it '
            "with dict(type='PackPretrainInputs').")
    values = [torch.as_tensor(np.asarray(s.get(key))) for s in data_samples]
    return torch.stack(values).to(device)

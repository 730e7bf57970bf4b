"""How well a pre-trained model predicts its trajectory target, against
predictors that see no motion."""
from typing import Dict, List

import torch
from mmengine.dataset import pseudo_collate
from torch import nn


def motion_scores(model: nn.Module, clips: List[Dict]) -> Dict[str, float]:
    """Squared error per masked token of the motion head, of predicting
    zero, and of copying the mean target of the clip's visible tokens.

    Args:
        model (nn.Module): A pre-trainer with a trajectory motion target
            (``motion_generator``, ``motion_head``).
        clips (list[dict]): Packed samples (their masks are used).

    Returns:
        dict: ``model``, ``zero`` and ``visible mean`` errors (validity
        weighted, loss weight not applied).
    """
    model.eval()
    totals = torch.zeros(4, dtype=torch.float64)
    with torch.no_grad():
        for clip in clips:
            data = model.data_preprocessor(pseudo_collate([clip]), False)
            inputs, mask = model._clips_and_mask(data['inputs'],
                                                 data['data_samples'])
            x = model.neck(model.encode(inputs, mask), mask)
            pred = model.motion_head(x)[0].float()
            target, valid = model.motion_generator(inputs,
                                                   data['data_samples'])
            target, valid, mask = target[0], valid[0], mask[0]
            seen = ~mask & valid.bool()
            copied = (target[seen].mean(0) if seen.any() else
                      torch.zeros_like(target[0]))
            weight = valid[mask]
            masked = target[mask]
            totals += torch.tensor([
                ((pred - masked)**2).sum(-1).mul(weight).sum().item(),
                (masked**2).sum(-1).mul(weight).sum().item(),
                ((masked - copied)**2).sum(-1).mul(weight).sum().item(),
                mask.sum().item()
            ], dtype=torch.float64)
    model_err, zero, mean = (totals[:3] / totals[3].clamp(min=1)).tolist()
    return {'model': model_err, 'zero': zero, 'visible mean': mean}

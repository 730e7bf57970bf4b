"""How well a pre-trained model predicts its trajectory target, against
predictors that see no motion."""
from typing import Dict, List

import torch
from mmengine.dataset import pseudo_collate
from torch import nn

from .target_stats import nearest_visible


def motion_scores(model: nn.Module, clips: List[Dict]) -> Dict[str, float]:
    """Squared error per masked token of the motion head, of predicting
    zero, of copying the mean target of the clip's visible tokens and of
    copying the target of the nearest visible token.

    Args:
        model (nn.Module): A pre-trainer with a trajectory motion target
            (``motion_generator``, ``motion_head``).
        clips (list[dict]): Packed samples (their masks are used).

    Returns:
        dict: ``model``, ``zero``, ``visible mean`` and ``nearest visible``
        errors (validity weighted, loss weight not applied; a clip without
        a valid visible token copies zeros).
    """
    model.eval()
    totals = torch.zeros(5, dtype=torch.float64)
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
            t, h, w = inputs.shape[-3:]
            patch = model.backbone.patch_size
            nearest = nearest_visible(
                mask, valid.bool(),
                (t // model.backbone.tubelet_size, h // patch, w // patch))
            neighbour = torch.where((nearest >= 0)[:, None],
                                    target[nearest.clamp(min=0)], 0.)
            weight = valid[mask]
            masked = target[mask]
            totals += torch.tensor([
                *(((masked - guess)**2).sum(-1).mul(weight).sum().item()
                  for guess in (pred, 0., copied, neighbour)),
                mask.sum().item()
            ], dtype=torch.float64)
    errors = (totals[:4] / totals[4].clamp(min=1)).tolist()
    return dict(zip(('model', 'zero', 'visible mean', 'nearest visible'),
                    errors))

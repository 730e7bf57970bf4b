"""How well a pre-trainer predicts each of its targets on held-out clips,
beside predictors that see nothing of the clip."""
from collections import defaultdict
from typing import Dict, List

import torch
from mmengine.dataset import pseudo_collate
from torch import Tensor, nn


def target_scores(model: nn.Module,
                  clips: List[Dict],
                  batch_size: int = 8) -> Dict[str, Dict[str, float]]:
    """Scores of every trained head on the masked tokens of ``clips``.

    A regression target (pixels, HOG, trajectories, frame differences)
    scores the squared error per masked token, summed over the token's
    values and multiplied by the generator's token weight where it gives
    one: ``model``, ``zero`` (predicting zero) and ``mean`` (predicting
    the mean target of all the masked tokens scored, the best constant).
    A code target (MAM2's VQ codes) scores the fraction of codes right:
    ``model`` and ``majority`` (always the most frequent code).

    Args:
        model (nn.Module): A masked video pre-trainer; heads whose
            ``loss_weight`` is 0 are left out (they were not trained).
        clips (list[dict]): Packed samples (their masks are used).
        batch_size (int): Clips per forward pass.

    Returns:
        dict: Scores by the heads' ``loss_name``.
    """
    model.eval()
    names = [head.loss_name for _, head, _ in model.branches
             if head.loss_weight > 0]
    seen = defaultdict(lambda: defaultdict(list))
    with torch.no_grad():
        for start in range(0, len(clips), batch_size):
            data = model.data_preprocessor(
                pseudo_collate(clips[start:start + batch_size]), False)
            for sample in model.predict(data['inputs'],
                                        data['data_samples']):
                for name in names:
                    target = sample.get(f'target_{name}')
                    seen[name]['pred'].append(sample.get(f'pred_{name}'))
                    seen[name]['target'].append(target)
                    seen[name]['weight'].append(
                        sample.get(f'weight_{name}',
                                   torch.ones(len(target))).float())
    return {
        name: prediction_scores(*(torch.cat(seen[name][k])
                                  for k in ('pred', 'target', 'weight')))
        for name in names
    }


def prediction_scores(pred: Tensor, target: Tensor,
                      weight: Tensor) -> Dict[str, float]:
    """The scores of :func:`target_scores` for one head.

    Args:
        pred (Tensor): (N_masked, ...) predictions (int64 codes or values).
        target (Tensor): (N_masked, ...) targets, as ``pred``.
        weight (Tensor): (N_masked,) token weights (regression only).

    Returns:
        dict[str, float]: ``model``, ``zero``, ``mean`` for values;
        ``model``, ``majority`` for codes.
    """
    if not target.is_floating_point():
        codes = target.flatten()
        return dict(model=(pred.flatten() == codes).float().mean().item(),
                    majority=(codes == codes.mode().values).float().mean()
                    .item())
    target = target.flatten(1).double()
    weight = weight.double()
    mean = (target * weight[:, None]).sum(0) / weight.sum().clamp(min=1e-12)

    def error(guess) -> float:
        return ((target - guess)**2).sum(-1).mul(weight).mean().item()

    return dict(model=error(pred.flatten(1).double()), zero=error(0.),
                mean=error(mean))

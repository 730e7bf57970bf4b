"""How much of a per-token target a motion-blind predictor explains."""
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

PREDICTORS = ('zero', 'visible mean', 'nearest visible')


def nearest_visible(mask: Tensor, usable: Tensor,
                    grid: Sequence[int]) -> Tensor:
    """For every masked token, the closest usable visible token.

    Args:
        mask (Tensor): (N,) bool, True for masked tokens.
        usable (Tensor): (N,) bool, tokens whose target may be copied.
        grid (Sequence[int]): Token grid (T', H', W'), N = T' * H' * W' in
            (t, h, w) order.

    Returns:
        Tensor: (N_masked,) index of the nearest (Euclidean on the grid,
        first in token order on ties) visible usable token, or -1 if the
        clip has none.
    """
    t, h, w = torch.meshgrid(*(torch.arange(n) for n in grid),
                             indexing='ij')
    position = torch.stack([t, h, w], -1).reshape(-1, 3).float()
    sources = torch.nonzero(~mask & usable).flatten()
    if len(sources) == 0:
        return torch.full((int(mask.sum()), ), -1, dtype=torch.long)
    distance = torch.cdist(position[mask], position[sources])
    return sources[distance.argmin(1)]


class TargetStats:
    """Accumulates statistics of a per-token target over many clips.

    Targets are (N, D) per clip with D = channels x cells: the last
    ``cells`` values of each channel are the token's sub-cells (the
    ``(c, step, h2, w2)`` trajectory layout and the ``(colour, bin, h2,
    w2)`` HOG layout both end in ``(h2, w2)``).

    Reported by :meth:`summary`, over valid tokens: the fraction whose
    target is about zero, or about constant over the sub-cells (both
    relative to the RMS of all targets: ``rel_tol`` x RMS), the variance of
    every channel; and over masked valid tokens (what the loss sees): the
    share of the target's variance that motion-blind predictors explain
    (R^2 = 1 - SSE / SST; negative when worse than the mean target): zero,
    the mean target of the clip's visible tokens, and the target of the
    nearest visible token.

    Args:
        cells (int): Sub-cells per channel. Defaults to 4 (2 x 2).
        rel_tol (float): Tolerance of "about zero / constant". Defaults to
            0.05.
    """

    def __init__(self, cells: int = 4, rel_tol: float = 0.05) -> None:
        self.cells = cells
        self.rel_tol = rel_tol
        self._norms: List[np.ndarray] = []  # (n,) per-token RMS
        self._spreads: List[np.ndarray] = []  # (n,) RMS over sub-cells
        self._sum = self._sum_sq = None  # per channel, valid tokens
        self._masked_sum = self._masked_sum_sq = None  # masked valid ones
        self._sse = dict.fromkeys(PREDICTORS, 0.)
        self._tokens = self._valid = self._masked_valid = 0

    def add(self, target: Tensor, valid: Tensor, mask: Tensor,
            grid: Tuple[int, int, int]) -> None:
        """Add one clip.

        Args:
            target (Tensor): (N, D) per-token targets.
            valid (Tensor): (N,) bool, tokens with a target.
            mask (Tensor): (N,) bool, masked tokens.
            grid (tuple[int, int, int]): Token grid (T', H', W').
        """
        target = target.double()
        valid, mask = valid.bool(), mask.bool()
        tokens = target[valid]
        by_cell = tokens.reshape(len(tokens), -1, self.cells)
        self._norms.append(tokens.pow(2).mean(1).sqrt().numpy())
        self._spreads.append((by_cell - by_cell.mean(-1, keepdim=True)).pow(
            2).mean((1, 2)).sqrt().numpy())
        self._sum = tokens.sum(0) + (0 if self._sum is None else self._sum)
        self._sum_sq = tokens.pow(2).sum(0) + (0 if self._sum_sq is None
                                               else self._sum_sq)
        self._tokens += len(target)
        self._valid += len(tokens)

        # Only masked valid tokens are in the loss.
        scored = mask & valid
        truth = target[scored]
        nearest = nearest_visible(mask, valid, grid)[valid[mask]]
        seen = target[~mask & valid]
        visible_mean = (seen.mean(0) if len(seen) else
                        target.new_zeros(target.shape[1]))
        copied = torch.where((nearest >= 0)[:, None],
                             target[nearest.clamp(min=0)], 0.)
        for name, guess in zip(PREDICTORS, (0., visible_mean, copied)):
            self._sse[name] += (truth - guess).pow(2).sum().item()
        self._masked_sum = truth.sum(0) + (0 if self._masked_sum is None
                                           else self._masked_sum)
        self._masked_sum_sq = truth.pow(2).sum(0) + (
            0 if self._masked_sum_sq is None else self._masked_sum_sq)
        self._masked_valid += len(truth)

    def summary(self) -> Dict:
        """The statistics of all clips added (see the class docstring)."""
        norms = np.concatenate(self._norms)
        spreads = np.concatenate(self._spreads)
        rms = float(np.sqrt(np.mean(norms**2)))
        tolerance = self.rel_tol * rms
        n = max(self._valid, 1)
        variance = (self._sum_sq / n - (self._sum / n)**2).numpy()
        m = max(self._masked_valid, 1)
        sst = float((self._masked_sum_sq -
                     self._masked_sum**2 / m).sum()) or float('nan')
        return {
            'tokens': self._tokens,
            'valid fraction': self._valid / max(self._tokens, 1),
            'rms': rms,
            'about zero': float(np.mean(norms < tolerance)),
            'constant over sub-cells': float(np.mean(spreads < tolerance)),
            'channel variance': variance.tolist(),
            'zero-prediction loss per token': float(
                self._sse['zero'] / m),
            'explained': {
                name: 1 - sse / sst for name, sse in self._sse.items()
            },
        }

"""Selecting the masked tokens of a batch."""
from torch import Tensor


def gather_masked(tokens: Tensor, mask: Tensor) -> Tensor:
    """The masked tokens of every sample, in ascending token order.

    Args:
        tokens (Tensor): (B, N, ...) per-token values.
        mask (Tensor): (B, N) bool, the same number of True per sample.

    Returns:
        Tensor: (B, N_masked, ...).
    """
    return tokens[mask].reshape(len(tokens), -1, *tokens.shape[2:])

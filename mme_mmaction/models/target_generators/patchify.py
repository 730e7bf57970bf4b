"""Clips cut into the values of their tokens, and per-token normalisation."""
from torch import Tensor


def patchify(video: Tensor, patch_size: int, tubelet_size: int) -> Tensor:
    """The values of every tube of a clip.

    Args:
        video (Tensor): (B, C, T, H, W).
        patch_size (int): Spatial side of a token.
        tubelet_size (int): Frames per token.

    Returns:
        Tensor: (B, N, tubelet_size * patch_size**2, C) with N tokens in
        (t, h, w) order and positions in (p0, p1, p2) order.
    """
    b, c, t, h, w = video.shape
    p, q = patch_size, tubelet_size
    if t % q or h % p or w % p:
        raise ValueError(f'A clip of {t}x{h}x{w} does not divide into '
                         f'{q}x{p}x{p} tubes.')
    x = video.reshape(b, c, t // q, q, h // p, p, w // p, p)
    # -> (B, T', H', W', q, p, p, C)
    return x.permute(0, 2, 4, 6, 3, 5, 7, 1).reshape(b, -1, q * p * p, c)


def normalize_per_token(tokens: Tensor) -> Tensor:
    """Standardise each colour of each token (VideoMAE's pixel target).

    Args:
        tokens (Tensor): (B, N, positions, C).

    Returns:
        Tensor: Same shape; mean 0 and unbiased std 1 (eps 1e-6) over the
        positions of each token and colour.
    """
    mean = tokens.mean(-2, keepdim=True)
    std = tokens.var(-2, unbiased=True, keepdim=True).sqrt()
    return (tokens - mean) / (std + 1e-6)

"""VideoMAE's pixel target: the patch-normalised pixels of every token."""
import torch
from mmaction.registry import MODELS
from torch import Tensor

from .base import TargetGenerator
from .patchify import normalize_per_token, patchify


@MODELS.register_module()
class PixelTargetGenerator(TargetGenerator):
    """Pixels of every tube, normalised per token and colour (VideoMAE).

    Per token and colour, the ``tubelet_size * patch_size**2`` values are
    standardised (unbiased std, eps 1e-6), which VideoMAE found better than
    raw pixels; being per-patch affine, it is the same whether computed on
    raw or dataset-normalised input.

    Args:
        patch_size (int): Spatial patch size; a model sets it from its
            backbone. Defaults to 16.
        tubelet_size (int): Frames per token; a model sets it from its
            backbone. Defaults to 2.
        normalize (bool): Standardise per token. Defaults to True.
        in_channels (int): Colour channels. Defaults to 3.
    """

    def __init__(self, patch_size: int = 16, tubelet_size: int = 2,
                 normalize: bool = True, in_channels: int = 3) -> None:
        super().__init__()
        self.patch_size = patch_size
        self.tubelet_size = tubelet_size
        self.normalize = normalize
        self.out_channels = tubelet_size * patch_size**2 * in_channels

    @torch.no_grad()
    def targets(self, video: Tensor) -> Tensor:
        """Per-token pixel targets.

        Args:
            video (Tensor): (B, C, T, H, W) clips.

        Returns:
            Tensor: (B, N, tubelet * patch * patch * C) in (t, h, w) token
            order, values in (p0, p1, p2, c) order.
        """
        tokens = patchify(video.float(), self.patch_size, self.tubelet_size)
        if self.normalize:
            tokens = normalize_per_token(tokens)
        return tokens.flatten(2)

"""VideoMAE's pixel target: the patch-normalised pixels of every token."""
import torch
from mmaction.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor


@MODELS.register_module()
class PixelTargetGenerator(BaseModule):
    """Pixels of every tube, normalised per token and colour (VideoMAE).

    Per token and colour, the ``tubelet_size * patch_size**2`` values are
    standardised (unbiased std, eps 1e-6), which VideoMAE found better than
    raw pixels; being per-patch affine, it is the same whether computed on
    raw or dataset-normalised input.

    Args:
        patch_size (int): Spatial patch size. Defaults to 16.
        tubelet_size (int): Frames per token. Defaults to 2.
        normalize (bool): Standardise per token. Defaults to True.
    """

    def __init__(self, patch_size: int = 16, tubelet_size: int = 2,
                 normalize: bool = True) -> None:
        super().__init__()
        self.patch_size = patch_size
        self.tubelet_size = tubelet_size
        self.normalize = normalize

    @torch.no_grad()
    def forward(self, video: Tensor) -> Tensor:
        """Per-token pixel targets.

        Args:
            video (Tensor): (B, C, T, H, W) clips.

        Returns:
            Tensor: (B, N, tubelet * patch * patch * C) in (t, h, w) token
            order, values in (p0, p1, p2, c) order.
        """
        b, c, t, h, w = video.shape
        p, q = self.patch_size, self.tubelet_size
        x = video.float().reshape(b, c, t // q, q, h // p, p, w // p, p)
        # -> (B, T', H', W', q, p, p, C)
        x = x.permute(0, 2, 4, 6, 3, 5, 7, 1).reshape(b, -1, q * p * p, c)
        if self.normalize:
            x = (x - x.mean(-2, keepdim=True)) / (
                x.var(-2, unbiased=True, keepdim=True).sqrt() + 1e-6)
        return x.flatten(2)

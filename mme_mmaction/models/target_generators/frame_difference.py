"""The motion target of MotionMAE and MAM2: differences of nearby frames."""
import torch
from mmaction.registry import MODELS
from torch import Tensor

from .base import TargetGenerator
from .patchify import normalize_per_token, patchify


@MODELS.register_module()
class FrameDifferenceTarget(TargetGenerator):
    """Signed differences of the sampled frames, per token.

    Our definition (docs/siblings.md §1.4 and §4.2; neither paper publishes
    one): on the normalised clip ``x`` of T frames, ``D_k = x_k - x_{k-gap}``
    for ``k >= gap`` and ``D_k = D_gap`` for ``k < gap``; every token gets the
    maps of its frames, laid out like the pixel target. MotionMAE calls it
    temporal difference, MAM2 RGB difference.

    Args:
        patch_size (int): Spatial side of a token; a model sets it from
            its backbone. Defaults to 16.
        tubelet_size (int): Frames per token; a model sets it from its
            backbone. Defaults to 2.
        gap (int): Frames between the two of a difference. Defaults to 1.
        absolute (bool): ``|D|`` instead of ``D``. Defaults to False.
        patch_norm (bool): Standardise each token and colour like the pixel
            target. Defaults to False: it would blow static patches' noise
            up to unit scale.
        per_tubelet (bool): One map per token instead, the difference of
            its last and first frame (``x_{2t+1} - x_{2t}``): a
            ``patch_size**2 * in_channels`` target. Defaults to False.
        in_channels (int): Colour channels. Defaults to 3.
    """

    def __init__(self,
                 patch_size: int = 16,
                 tubelet_size: int = 2,
                 gap: int = 1,
                 absolute: bool = False,
                 patch_norm: bool = False,
                 per_tubelet: bool = False,
                 in_channels: int = 3) -> None:
        super().__init__()
        if gap < 1:
            raise ValueError(f'gap must be at least 1, got {gap}.')
        if per_tubelet and tubelet_size < 2:
            raise ValueError('per_tubelet needs tubelet_size >= 2, got '
                             f'{tubelet_size}.')
        self.patch_size = patch_size
        self.tubelet_size = tubelet_size
        self.gap = gap
        self.absolute = absolute
        self.patch_norm = patch_norm
        self.per_tubelet = per_tubelet
        frames = 1 if per_tubelet else tubelet_size
        self.out_channels = frames * patch_size**2 * in_channels

    def _differences(self, video: Tensor) -> Tensor:
        """(B, C, T', H, W) per-tubelet or (B, C, T, H, W) per-frame maps."""
        if self.per_tubelet:
            q = self.tubelet_size
            return video[:, :, q - 1::q] - video[:, :, ::q]
        if video.shape[2] <= self.gap:
            raise ValueError(f'A clip of {video.shape[2]} frames has no '
                             f'difference at gap={self.gap}.')
        diff = video[:, :, self.gap:] - video[:, :, :-self.gap]
        first = diff[:, :, :1].expand(-1, -1, self.gap, -1, -1)
        return torch.cat([first, diff], dim=2)

    @torch.no_grad()
    def targets(self, video: Tensor) -> Tensor:
        """Per-token difference targets.

        Args:
            video (Tensor): (B, C, T, H, W) normalised clips.

        Returns:
            Tensor: (B, N, out_channels) with N tokens in (t, h, w) order
            and values in (frame, p1, p2, c) order.
        """
        diff = self._differences(video.float())
        if self.absolute:
            diff = diff.abs()
        tubelet = 1 if self.per_tubelet else self.tubelet_size
        tokens = patchify(diff, self.patch_size, tubelet)
        if self.patch_norm:
            tokens = normalize_per_token(tokens)
        return tokens.flatten(2)

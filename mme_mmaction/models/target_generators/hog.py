"""HOG appearance target of Masked Motion Encoding (docs/method.md §5)."""
import math
from typing import Optional, Union

import torch
import torch.nn.functional as F
from einops import rearrange
from mmaction.registry import MODELS

from .base import TargetGenerator


@MODELS.register_module()
class HOGGenerator(TargetGenerator):
    """Per-channel HOG appearance target of Masked Motion Encoding.

    For every tubelet only its last frame (index ``tubelet_size * t +
    tubelet_size - 1``) is described. Per RGB channel, Sobel gradients
    ``gx``/``gy`` (replicate padding) give a magnitude and an unsigned
    orientation ``theta = atan2(gy, gx) mod pi`` (docs/method.md §5, x to the
    right, y down: a vertical edge, i.e. ``gx != 0, gy == 0``, has
    ``theta = 0``; a horizontal edge has ``theta = 90 deg``). Each pixel
    votes its magnitude linearly into the two nearest of ``nbins`` bins
    centred at ``0, pi / nbins, ...`` (wrapping from the last bin to bin 0),
    and the histograms are averaged over ``pool`` x ``pool`` cells
    without block normalisation.

    Args:
        nbins (int): Number of orientation bins. Defaults to 9.
        pool (int): Side of a histogram cell in pixels (mmpretrain's name).
            Defaults to 8.
        patch_size (int): Spatial side of a token; a model sets it from its
            backbone. Defaults to 16.
        tubelet_size (int): Temporal size of a token; a model sets it from
            its backbone. Defaults to 2.
        in_channels (int): Number of input colour channels. Defaults to 3.
        init_cfg (dict or list[dict], optional): Initialisation config.
    """

    def __init__(self,
                 nbins: int = 9,
                 pool: int = 8,
                 patch_size: int = 16,
                 tubelet_size: int = 2,
                 in_channels: int = 3,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if patch_size % pool != 0:
            raise ValueError(f'patch_size ({patch_size}) must be divisible '
                             f'by pool ({pool}).')
        self.nbins = nbins
        self.pool = pool
        self.patch_size = patch_size
        self.tubelet_size = tubelet_size
        self.in_channels = in_channels
        self.cells_per_patch = patch_size // pool
        self.out_channels = in_channels * nbins * self.cells_per_patch**2

        # Fixed, non-learnable filters: a learnable/biased Sobel would let
        # the target drift and leak a constant offset into every gradient.
        kx = torch.tensor([[-1., 0., 1.], [-2., 0., 2.], [-1., 0., 1.]])
        self.register_buffer(
            'weight_x', kx.repeat(in_channels, 1, 1, 1), persistent=False)
        self.register_buffer(
            'weight_y',
            kx.t().contiguous().repeat(in_channels, 1, 1, 1),
            persistent=False)

    @torch.no_grad()
    def targets(self, video: torch.Tensor) -> torch.Tensor:
        """Compute HOG targets.

        Args:
            video (torch.Tensor): Normalised clips of shape (B, C, T, H, W).

        Returns:
            torch.Tensor: Targets of shape (B, N, out_channels) with
            ``N = (T // tubelet_size) * (H // patch_size) * (W //
            patch_size)`` tokens in (t, h, w) order; each token's features
            are laid out as (colour, bin, h2, w2).
        """
        if video.dim() != 5 or video.size(1) != self.in_channels:
            raise ValueError('video must have shape (B, '
                             f'{self.in_channels}, T, H, W), got '
                             f'{tuple(video.shape)}.')
        B, C, T, H, W = video.shape
        if T % self.tubelet_size != 0:
            raise ValueError(f'T ({T}) must be divisible by tubelet_size '
                             f'({self.tubelet_size}).')
        if H % self.patch_size != 0 or W % self.patch_size != 0:
            raise ValueError(f'H and W ({H}, {W}) must be divisible by '
                             f'patch_size ({self.patch_size}).')
        t_out = T // self.tubelet_size
        frame_idx = torch.arange(
            self.tubelet_size - 1, T, self.tubelet_size, device=video.device)

        # atan2 and bin boundaries are precision-sensitive, so autocast is
        # disabled and everything runs in float32.
        with torch.autocast(device_type=video.device.type, enabled=False):
            x = rearrange(video.index_select(2, frame_idx).float(),
                          'b c t h w -> (b t) c h w')
            x = F.pad(x, (1, 1, 1, 1), mode='replicate')
            gx = F.conv2d(x, self.weight_x.float(), groups=C)
            gy = F.conv2d(x, self.weight_y.float(), groups=C)
            mag = torch.sqrt(gx**2 + gy**2)
            theta = torch.remainder(torch.atan2(gy, gx), math.pi)

            pos = theta / (math.pi / self.nbins)
            floor = torch.floor(pos)
            w_hi = pos - floor
            w_lo = 1 - w_hi
            # The modulo also maps a rounding-induced theta == pi to bin 0.
            lo = floor.long().remainder(self.nbins)
            hi = (lo + 1).remainder(self.nbins)
            hist = mag.new_zeros(B * t_out, C, self.nbins, H, W)
            hist.scatter_add_(2, lo.unsqueeze(2), (mag * w_lo).unsqueeze(2))
            hist.scatter_add_(2, hi.unsqueeze(2), (mag * w_hi).unsqueeze(2))

            hist = F.avg_pool2d(hist.flatten(1, 2), self.pool)
        return rearrange(
            hist,
            '(b t) (c bin) (h h2) (w w2) -> b (t h w) (c bin h2 w2)',
            b=B,
            c=C,
            h2=self.cells_per_patch,
            w2=self.cells_per_patch)

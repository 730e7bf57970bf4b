"""The MME encoder: MMAction2's VideoMAE ViT that can skip masked tokens."""
import math
from typing import Dict, Optional, Tuple, Union

from mmaction.models.backbones.vit_mae import VisionTransformer
from mmaction.registry import MODELS
from torch import Tensor

from ..utils import fuse_attention, resample_pos_embed, vit_layer_depth

ARCH_SETTINGS: Dict[str, dict] = {
    'tiny': dict(embed_dims=192, depth=12, num_heads=3),
    'small': dict(embed_dims=384, depth=12, num_heads=6),
    'base': dict(embed_dims=768, depth=12, num_heads=12),
    'large': dict(embed_dims=1024, depth=24, num_heads=16),
}


@MODELS.register_module()
class MaskedMotionEncoder(VisionTransformer):
    """ViT encoder of Masked Motion Encoding (docs/method.md §6).

    A subclass of MMAction2's ``VisionTransformer``: parameter and state-dict
    names are identical, so its weights load into the stock backbone (and
    back) unchanged. Attention runs through
    ``torch.nn.functional.scaled_dot_product_attention``.

    Args:
        arch (str | dict): ``'tiny'``, ``'small'``, ``'base'`` or ``'large'``,
            or a dict with ``embed_dims``, ``depth`` and ``num_heads``.
            Defaults to ``'base'``.
        img_size (int): Input side length. Defaults to 224.
        patch_size (int): Spatial patch size. Defaults to 16.
        num_frames (int): Input frames. Defaults to 16.
        tubelet_size (int): Frames per token. Defaults to 2.
        use_mean_pooling (bool): Without a mask, return ``fc_norm`` of the
            mean token, as the stock backbone does for recognition. Set it
            False for pre-training: then a final ``norm`` follows the blocks.
            Defaults to True.
        **kwargs: Other arguments of MMAction2's ``VisionTransformer``
            (``drop_path_rate``, ``qkv_bias``, ``norm_cfg``, ``init_cfg``...).
    """

    def __init__(self,
                 arch: Union[str, dict] = 'base',
                 img_size: int = 224,
                 patch_size: int = 16,
                 num_frames: int = 16,
                 tubelet_size: int = 2,
                 use_mean_pooling: bool = True,
                 **kwargs) -> None:
        if isinstance(arch, str):
            if arch not in ARCH_SETTINGS:
                raise ValueError(f'Unknown arch {arch!r}; choose one of '
                                 f'{sorted(ARCH_SETTINGS)} or pass a dict.')
            arch = ARCH_SETTINGS[arch]
        super().__init__(
            img_size=img_size,
            patch_size=patch_size,
            num_frames=num_frames,
            tubelet_size=tubelet_size,
            use_mean_pooling=use_mean_pooling,
            **arch,
            **kwargs)
        self.num_layers = len(self.blocks)
        self.patch_size = patch_size
        self.tubelet_size = tubelet_size
        self.token_grid = (num_frames // tubelet_size, *self.grid_size)
        self.num_tokens = math.prod(self.token_grid)
        fuse_attention(self.blocks)

    def _pos_embed(self, grid: Tuple[int, int, int]) -> Tensor:
        """Position table (1, T' * H' * W', C) for a token grid."""
        return resample_pos_embed(self.pos_embed, self.token_grid, grid)

    def forward(self, x: Tensor, mask: Optional[Tensor] = None) -> Tensor:
        """Encode a clip, optionally only its visible tokens.

        Args:
            x (Tensor): (B, C, T, H, W) normalised clips.
            mask (Tensor, optional): (B, N) bool, True for masked tokens,
                the same number per sample. Defaults to None.

        Returns:
            Tensor: With a mask, (B, N_visible, C) visible tokens in
            ascending order after the final norm. Without, what the stock
            backbone returns: (B, C) pooled features with mean pooling,
            (B, C, T', H', W') with ``return_feat_map``; otherwise all
            (B, N, C) tokens (the stock backbone's ``x[:, 0]`` assumes a
            class token that VideoMAE-style models do not have).
        """
        b, _, t, h, w = x.shape
        grid = (t // self.tubelet_size, h // self.patch_size,
                w // self.patch_size)
        x = self.patch_embed(x)[0] + self._pos_embed(grid)
        x = self.pos_drop(x)
        if mask is not None:
            x = x[~mask].reshape(b, -1, self.embed_dims)
        for block in self.blocks:
            x = block(x)
        x = self.norm(x)
        if mask is not None:
            return x
        if self.return_feat_map:
            return x.reshape(b, *grid, -1).permute(0, 4, 1, 2, 3)
        if self.fc_norm is not None:
            return self.fc_norm(x.mean(1))
        return x

    def get_layer_depth(self, param_name: str,
                        prefix: str = '') -> Tuple[int, int]:
        """Layer index of a parameter, for layer-wise learning-rate decay.

        The rule of :func:`~mme_mmaction.models.utils.vit_layer_depth`,
        which ``LayerDecayOptimWrapperConstructor`` also applies to
        MMAction2's ``VisionTransformer``: embeddings and tokens are layer
        0, block i is layer i + 1, the rest is the last layer.

        Args:
            param_name (str): Parameter name, e.g. ``'blocks.3.attn.qkv'``.
            prefix (str): Prefix stripped first, e.g. ``'backbone.'``; a name
                without it is in the last layer. Defaults to ``''``.

        Returns:
            tuple[int, int]: (layer id, number of layers = depth + 2).
        """
        return vit_layer_depth(param_name, self.num_layers, prefix)

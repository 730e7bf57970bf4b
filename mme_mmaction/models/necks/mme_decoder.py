"""The MME decoder: visible tokens plus mask tokens through a small ViT."""
from typing import List, Optional, Union

import torch
from mmaction.models.backbones.vit_mae import Block, get_sinusoid_encoding
from mmaction.registry import MODELS
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule, ModuleList
from mmengine.model.weight_init import trunc_normal_
from torch import Tensor, nn

from ..utils import fuse_attention


@MODELS.register_module()
class MMEDecoder(BaseModule):
    """Decoder of Masked Motion Encoding (METHOD §6).

    Projects the encoder's visible tokens to ``embed_dims``, appends one
    learnable mask token per masked position, adds a fixed sinusoid table
    and runs ``depth`` transformer blocks.

    Args:
        num_tokens (int, optional): Tokens per clip (T' * H' * W'); the
            algorithm sets it from its encoder.
        in_channels (int, optional): Encoder width; the algorithm sets it
            from its encoder.
        embed_dims (int): Decoder width. Defaults to 192.
        depth (int): Transformer blocks. Defaults to 1.
        num_heads (int): Attention heads. Defaults to 6.
        mlp_ratio (float): FFN expansion. Defaults to 4.
        norm_cfg (dict): Norm layers. Defaults to LayerNorm with eps 1e-6.
        init_cfg (dict | list[dict], optional): Initialisation.
    """

    def __init__(self,
                 num_tokens: Optional[int] = None,
                 in_channels: Optional[int] = None,
                 embed_dims: int = 192,
                 depth: int = 1,
                 num_heads: int = 6,
                 mlp_ratio: float = 4.,
                 norm_cfg: dict = dict(type='LN', eps=1e-6),
                 init_cfg: Optional[Union[dict, List[dict]]] = [
                     dict(type='TruncNormal', layer='Linear', std=0.02,
                          bias=0.),
                     dict(type='Constant', layer='LayerNorm', val=1., bias=0.)
                 ]) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_tokens = num_tokens
        self.embed_dims = embed_dims
        self.encoder_to_decoder = nn.Linear(in_channels, embed_dims,
                                            bias=False)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, embed_dims))
        # Fixed, so not saved: checkpoints of the method carry no table.
        self.register_buffer(
            'pos_embed',
            get_sinusoid_encoding(num_tokens, embed_dims),
            persistent=False)
        self.blocks = ModuleList([
            Block(embed_dims, num_heads, mlp_ratio, norm_cfg=norm_cfg)
            for _ in range(depth)
        ])
        fuse_attention(self.blocks)
        self.norm = build_norm_layer(norm_cfg, embed_dims)[1]

    def init_weights(self) -> None:
        """Initialise layers by ``init_cfg`` and the mask token like MAE."""
        super().init_weights()
        trunc_normal_(self.mask_token, std=0.02)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """Predict features for the masked tokens.

        Args:
            x (Tensor): (B, N_visible, in_channels) encoder output.
            mask (Tensor): (B, N) bool, True for masked tokens.

        Returns:
            Tensor: (B, N_masked, embed_dims) for the masked tokens in
            ascending token order.
        """
        if mask.shape[1] != self.num_tokens:
            raise ValueError(f'The decoder was built for {self.num_tokens} '
                             f'tokens, the mask has {mask.shape[1]}.')
        b = x.shape[0]
        x = self.encoder_to_decoder(x)
        pos = self.pos_embed.expand(b, -1, -1).to(x.dtype)
        visible = x + pos[~mask].reshape(b, -1, self.embed_dims)
        masked = self.mask_token + pos[mask].reshape(b, -1, self.embed_dims)
        x = torch.cat([visible, masked], dim=1)
        for block in self.blocks:
            x = block(x)
        # Slice from the end of the visible part: -0 would select all.
        return self.norm(x[:, visible.shape[1]:])

"""MAM2's latent regressor: masked latents from visible ones (CAE-style)."""
from typing import List, Optional, Union

import torch
import torch.nn.functional as F
from mmaction.models.backbones.vit_mae import get_sinusoid_encoding
from mmaction.registry import MODELS
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule, ModuleList
from mmengine.model.weight_init import trunc_normal_
from torch import Tensor, nn

from .base_decoder import MAE_INIT_CFG


class CrossAttentionBlock(nn.Module):
    """Queries attend to [context ; queries]; only the queries change.

    Keys carry positions, values do not (CAE's regressor). Pre-norm, with
    layer scale on both residual branches.

    Args:
        dims (int): Width.
        num_heads (int): Attention heads.
        mlp_ratio (float): FFN expansion.
        layer_scale_init (float): Initial layer-scale value.
        norm_cfg (dict): Norm layers.
    """

    def __init__(self, dims: int, num_heads: int, mlp_ratio: float,
                 layer_scale_init: float, norm_cfg: dict) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.norm_q, self.norm_k, self.norm_v, self.norm_mlp = (
            build_norm_layer(norm_cfg, dims)[1] for _ in range(4))
        self.q = nn.Linear(dims, dims)
        self.k = nn.Linear(dims, dims, bias=False)
        self.v = nn.Linear(dims, dims)
        self.proj = nn.Linear(dims, dims)
        hidden = int(dims * mlp_ratio)
        self.mlp = nn.Sequential(
            nn.Linear(dims, hidden), nn.GELU(), nn.Linear(hidden, dims))
        self.gamma_attn = nn.Parameter(layer_scale_init * torch.ones(dims))
        self.gamma_mlp = nn.Parameter(layer_scale_init * torch.ones(dims))

    def _heads(self, x: Tensor) -> Tensor:
        """(B, L, C) -> (B, heads, L, C / heads)."""
        return x.unflatten(-1, (self.num_heads, -1)).transpose(1, 2)

    def forward(self, query: Tensor, query_pos: Tensor, context: Tensor,
                context_pos: Tensor) -> Tensor:
        """Update the queries.

        Args:
            query (Tensor): (B, M, C) current queries.
            query_pos (Tensor): (B, M, C) their positions.
            context (Tensor): (B, V, C) visible latents (never changed).
            context_pos (Tensor): (B, V, C) their positions.

        Returns:
            Tensor: (B, M, C) updated queries.
        """
        q = self.q(self.norm_q(query + query_pos))
        k = self.k(self.norm_k(
            torch.cat([context + context_pos, query + query_pos], 1)))
        v = self.v(self.norm_v(torch.cat([context, query], 1)))
        out = F.scaled_dot_product_attention(
            self._heads(q), self._heads(k), self._heads(v))
        query = query + self.gamma_attn * self.proj(
            out.transpose(1, 2).flatten(2))
        return query + self.gamma_mlp * self.mlp(self.norm_mlp(query))


@MODELS.register_module()
class LatentRegressor(BaseModule):
    """Predicts the encoder's latents of the masked tokens.

    CAE's latent regressor, our default for MAM2 (docs/siblings.md §4.9).

    Queries start as a learnable mask token plus the masked positions and
    pass ``depth`` cross-attention blocks over the visible latents: the
    encoder only encodes, the regressor does the pretext task in latent
    space. Visible latents are keys and values only, so nothing of a
    masked token other than its position reaches the output.

    Args:
        num_tokens (int, optional): Tokens per clip; the algorithm sets it
            from its encoder.
        in_channels (int, optional): Encoder width, also the regressor's;
            the algorithm sets it from its encoder.
        depth (int): Blocks. Defaults to 4.
        num_heads (int): Attention heads. Defaults to 12.
        mlp_ratio (float): FFN expansion. Defaults to 4.
        layer_scale_init (float): Initial layer scale. Defaults to 0.1.
        norm_cfg (dict): Norm layers. Defaults to LayerNorm with eps 1e-6.
        init_cfg (dict | list[dict], optional): Initialisation.
    """

    def __init__(self,
                 num_tokens: Optional[int] = None,
                 in_channels: Optional[int] = None,
                 depth: int = 4,
                 num_heads: int = 12,
                 mlp_ratio: float = 4.,
                 layer_scale_init: float = 0.1,
                 norm_cfg: dict = dict(type='LN', eps=1e-6),
                 init_cfg: Optional[Union[dict, List[dict]]] = MAE_INIT_CFG
                 ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_tokens = num_tokens
        self.embed_dims = in_channels
        self.mask_token = nn.Parameter(torch.zeros(1, 1, in_channels))
        self.register_buffer(
            'pos_embed',
            get_sinusoid_encoding(num_tokens, in_channels),
            persistent=False)
        self.blocks = ModuleList([
            CrossAttentionBlock(in_channels, num_heads, mlp_ratio,
                                layer_scale_init, norm_cfg)
            for _ in range(depth)
        ])
        self.norm = build_norm_layer(norm_cfg, in_channels)[1]

    def init_weights(self) -> None:
        """Initialise layers by ``init_cfg`` and the mask token like MAE."""
        super().init_weights()
        trunc_normal_(self.mask_token, std=0.02)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """Regress the masked tokens' latents.

        Args:
            x (Tensor): (B, N_visible, C) encoder output.
            mask (Tensor): (B, N) bool, True for masked tokens.

        Returns:
            Tensor: (B, N_masked, C) for the masked tokens in ascending
            token order.
        """
        b, _, c = x.shape
        pos = self.pos_embed.expand(b, -1, -1).to(x.dtype)
        visible_pos = pos[~mask].reshape(b, -1, c)
        masked_pos = pos[mask].reshape(b, -1, c)
        query = self.mask_token.expand_as(masked_pos).to(x.dtype)
        for block in self.blocks:
            query = block(query, masked_pos, x, visible_pos)
        return self.norm(query)

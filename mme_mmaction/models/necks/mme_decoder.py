"""The MME decoder: visible tokens plus mask tokens through a small ViT."""
from typing import Optional

import torch
from mmaction.registry import MODELS
from mmengine.model.weight_init import trunc_normal_
from torch import Tensor, nn

from .base_decoder import TokenDecoder


@MODELS.register_module()
class MMEDecoder(TokenDecoder):
    """Decoder of Masked Motion Encoding (docs/method.md §6) and VideoMAE.

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
        **kwargs: ``mlp_ratio``, ``norm_cfg``, ``init_cfg`` of
            :class:`~.TokenDecoder`.
    """

    def __init__(self,
                 num_tokens: Optional[int] = None,
                 in_channels: Optional[int] = None,
                 embed_dims: int = 192,
                 depth: int = 1,
                 num_heads: int = 6,
                 **kwargs) -> None:
        super().__init__(num_tokens, in_channels, embed_dims, depth,
                         num_heads, **kwargs)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, embed_dims))

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
        self._check(mask)
        b = x.shape[0]
        x = self.encoder_to_decoder(x)
        pos = self.pos_embed.expand(b, -1, -1).to(x.dtype)
        visible = x + pos[~mask].reshape(b, -1, self.embed_dims)
        masked = self.mask_token + pos[mask].reshape(b, -1, self.embed_dims)
        x = self._blocks(torch.cat([visible, masked], dim=1))
        # Slice from the end of the visible part: -0 would select all.
        return self.norm(x[:, visible.shape[1]:])

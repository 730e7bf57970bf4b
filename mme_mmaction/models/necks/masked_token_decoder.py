"""A decoder over the regressed masked tokens only (MAM2, CAE-style)."""
from typing import Optional

from mmaction.registry import MODELS
from torch import Tensor

from .base_decoder import TokenDecoder


@MODELS.register_module()
class MaskedTokenDecoder(TokenDecoder):
    """Decodes the regressor's latents of the masked tokens.

    Sees no visible token: their information reaches it only through the
    regressor (docs/siblings.md §4.11). Projects to ``embed_dims``, adds the
    masked positions of a fixed sinusoid table, runs ``depth`` blocks.

    Args:
        num_tokens (int, optional): Tokens per clip; the algorithm sets it
            from its encoder.
        in_channels (int, optional): Regressor width (the encoder's); the
            algorithm sets it.
        embed_dims (int): Decoder width. Defaults to 384.
        depth (int): Transformer blocks. Defaults to 4.
        num_heads (int): Attention heads. Defaults to 6.
        **kwargs: ``mlp_ratio``, ``norm_cfg``, ``init_cfg`` of
            :class:`~.TokenDecoder`.
    """

    def __init__(self,
                 num_tokens: Optional[int] = None,
                 in_channels: Optional[int] = None,
                 embed_dims: int = 384,
                 depth: int = 4,
                 num_heads: int = 6,
                 **kwargs) -> None:
        super().__init__(num_tokens, in_channels, embed_dims, depth,
                         num_heads, **kwargs)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """Decode the masked tokens.

        Args:
            x (Tensor): (B, N_masked, in_channels) regressed latents in
                ascending token order.
            mask (Tensor): (B, N) bool, True for masked tokens.

        Returns:
            Tensor: (B, N_masked, embed_dims).
        """
        self._check(mask)
        b = x.shape[0]
        pos = self.pos_embed.expand(b, -1, -1).to(x.dtype)
        x = self.encoder_to_decoder(x) + pos[mask].reshape(
            b, -1, self.embed_dims)
        return self.norm(self._blocks(x))

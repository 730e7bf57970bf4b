"""MMAction2's ViT attention through ``scaled_dot_product_attention``."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmaction.models.backbones.vit_mae import Attention
from torch import Tensor, nn


# Reduced-precision CPU training of short sequences: the attention matrix
# is small, and batched matmuls on AMX beat the fused kernel's backward
# below about this many tokens x head width (the crossover measured in
# docs/benchmarks.md).
_UNFUSED_MAX_TOKENS_X_WIDTH = 48 * 1024


def fused_is_faster(q: Tensor) -> bool:
    """Whether the fused kernel beats MMAction2's math for these queries.

    It does everywhere except in reduced-precision (bf16/fp16) CPU training
    on short sequences.

    Args:
        q (Tensor): (B, heads, N, C / heads) queries.
    """
    if (q.device.type != 'cpu' or not torch.is_grad_enabled()
            or q.dtype == torch.float32):
        return True
    return q.shape[-2] * q.shape[-1] > _UNFUSED_MAX_TOKENS_X_WIDTH


class FusedAttention(Attention):
    """MMAction2's ``Attention`` (same parameters, same result), fused.

    The fused kernel never materialises the (N, N) attention matrix, which
    saves activation memory and runs faster on CPU and GPU; only where it
    does not (:func:`fused_is_faster`) the block runs MMAction2's math.
    """

    def _qkv_bias(self) -> Optional[Tensor]:
        if not hasattr(self, 'q_bias'):
            return None
        # VideoMAE-style attention has no key bias.
        return torch.cat(
            (self.q_bias, torch.zeros_like(self.v_bias), self.v_bias))

    def forward(self, x: Tensor) -> Tensor:
        """Attend over tokens.

        Args:
            x (Tensor): (B, N, C) tokens.

        Returns:
            Tensor: (B, N, C).
        """
        b, n, c = x.shape
        qkv = F.linear(x, self.qkv.weight, self._qkv_bias())
        # (3, B, heads, N, C / heads)
        q, k, v = qkv.reshape(b, n, 3, self.num_heads,
                              -1).permute(2, 0, 3, 1, 4)
        if fused_is_faster(q):
            x = F.scaled_dot_product_attention(
                q, k, v,
                dropout_p=self.attn_drop.p if self.training else 0.,
                scale=self.scale)
        else:
            attn = (q * self.scale) @ k.transpose(-2, -1)
            x = self.attn_drop(attn.softmax(dim=-1)) @ v
        return self.proj_drop(self.proj(x.transpose(1, 2).reshape(b, n, c)))


def fuse_attention(blocks: nn.ModuleList) -> None:
    """Switch the attention of MMAction2 ViT ``Block``s to the fused kernel.

    Parameters are kept as they are, so state dicts and initialisation are
    those of the stock blocks.
    """
    for block in blocks:
        block.attn.__class__ = FusedAttention

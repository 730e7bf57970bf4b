"""What the decoders share: a projection, a position table, ViT blocks."""
from typing import List, Optional, Union

from mmaction.models.backbones.vit_mae import Block, get_sinusoid_encoding
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule, ModuleList
from torch import Tensor, nn

from ..utils import fuse_attention

#: MAE's initialisation of the layers after the encoder.
MAE_INIT_CFG = [
    dict(type='TruncNormal', layer='Linear', std=0.02, bias=0.),
    dict(type='Constant', layer='LayerNorm', val=1., bias=0.)
]


class TokenDecoder(BaseModule):
    """Projection to ``embed_dims``, a fixed sinusoid table over all
    tokens, ``depth`` MMAction2 ViT blocks (fused attention) and a norm.

    Args:
        num_tokens (int, optional): Tokens per clip (T' * H' * W'); the
            algorithm sets it from its encoder.
        in_channels (int, optional): Input width; the algorithm sets it
            from its encoder.
        embed_dims (int): Decoder width.
        depth (int): Transformer blocks.
        num_heads (int): Attention heads.
        mlp_ratio (float): FFN expansion. Defaults to 4.
        norm_cfg (dict): Norm layers. Defaults to LayerNorm with eps 1e-6.
        init_cfg (dict | list[dict], optional): Initialisation.
    """

    def __init__(self,
                 num_tokens: Optional[int],
                 in_channels: Optional[int],
                 embed_dims: int,
                 depth: int,
                 num_heads: int,
                 mlp_ratio: float = 4.,
                 norm_cfg: dict = dict(type='LN', eps=1e-6),
                 init_cfg: Optional[Union[dict, List[dict]]] = MAE_INIT_CFG
                 ) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_tokens = num_tokens
        self.embed_dims = embed_dims
        self.encoder_to_decoder = nn.Linear(in_channels, embed_dims,
                                            bias=False)
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

    def _check(self, mask: Tensor) -> None:
        if mask.shape[1] != self.num_tokens:
            raise ValueError(f'The decoder was built for {self.num_tokens} '
                             f'tokens, the mask has {mask.shape[1]}.')

    def _blocks(self, x: Tensor) -> Tensor:
        for block in self.blocks:
            x = block(x)
        return x

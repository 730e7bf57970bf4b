from .fused_attention import FusedAttention, fuse_attention
from .masking import gather_masked
from .pos_embed import resample_pos_embed

__all__ = [
    'FusedAttention', 'fuse_attention', 'gather_masked', 'resample_pos_embed'
]

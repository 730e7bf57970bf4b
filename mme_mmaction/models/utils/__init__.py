from .fused_attention import FusedAttention, fuse_attention
from .masking import gather_masked

__all__ = ['FusedAttention', 'fuse_attention', 'gather_masked']

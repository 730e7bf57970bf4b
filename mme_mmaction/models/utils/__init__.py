from .fused_attention import FusedAttention, fuse_attention

__all__ = ['FusedAttention', 'fuse_attention']

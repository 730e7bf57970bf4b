from .build import build_sized
from .checks import check_width
from .fields import stack_field
from .fused_attention import FusedAttention, fuse_attention
from .layer_depth import vit_layer_depth
from .masking import gather_masked
from .pos_embed import resample_pos_embed

__all__ = [
    'FusedAttention', 'build_sized', 'check_width', 'fuse_attention',
    'gather_masked', 'resample_pos_embed', 'stack_field', 'vit_layer_depth'
]

"""The layer-depth rule of ViT parameters, for layer-wise lr decay."""
from typing import Tuple

# Parameters before the first block, at layer 0: these tokens by exact name
# and everything under ``patch_embed``, as in MMAction2's
# ``get_layer_id_for_vit``, VideoMAE's and mmpretrain's ViTs (which have no
# ``mask_token``).
VIT_LAYER0_TOKENS = ('cls_token', 'mask_token', 'pos_embed')
VIT_LAYER0_MODULE = 'patch_embed'


def vit_layer_depth(param_name: str,
                    num_blocks: int,
                    prefix: str = '') -> Tuple[int, int]:
    """Layer of a parameter of a ViT with MMAction2's parameter names.

    Embeddings and tokens are layer 0, ``blocks.i`` is layer i + 1 and
    everything else (final norms, and any name without ``prefix``, i.e.
    outside the ViT) is the last layer, ``num_blocks + 1``. The layer ids are
    those of MMAction2's ``get_layer_id_for_vit``; the return value is that
    of mmpretrain's ``get_layer_depth``.

    Args:
        param_name (str): Parameter name, e.g.
            ``'backbone.blocks.3.attn.qkv.weight'``.
        num_blocks (int): Number of transformer blocks of the ViT.
        prefix (str): Prefix of the ViT's parameters in ``param_name``, e.g.
            ``'backbone.'``. Defaults to ``''``.

    Returns:
        tuple[int, int]: (layer id, number of layers = num_blocks + 2).
    """
    num_layers = num_blocks + 2
    if not param_name.startswith(prefix):
        return num_layers - 1, num_layers
    name = param_name[len(prefix):]
    if name in VIT_LAYER0_TOKENS or name.startswith(VIT_LAYER0_MODULE):
        return 0, num_layers
    if name.startswith('blocks.'):
        return int(name.split('.')[1]) + 1, num_layers
    return num_layers - 1, num_layers

"""Our names for the keys of VideoMAE-style checkpoints and of ours.

Key names of every format: docs/method.md §9.

Sources (the format is told from the keys, see :func:`detect_format`):

* ``'videomae_pretrain'``: the MME release's and VideoMAE's pre-training
  checkpoints (``ckpt['model']``): ``encoder.*``, ``encoder_to_decoder``
  (``.weight`` or ``.0.weight``), ``mask_token``, ``decoder.*`` or
  ``decoder.0.*``; no position table.
* ``'videomae_finetune'``: their fine-tuned checkpoints (``ckpt['module']``
  of DeepSpeed, or ``ckpt['model']``): the encoder names unprefixed plus
  ``fc_norm.*`` and ``head.*``.
* ``'mmaction'``: ours (``ckpt['state_dict']``): an ``MME`` pre-training
  checkpoint or an MMAction2 recognizer, e.g. to change the clip size.

Our names are those of an ``MME`` (``backbone.*``, ``neck.*``, ``head.*``
for HOG, ``motion_head.*`` for trajectories) or of a recognizer
(``backbone.*``, ``cls_head.fc_cls.*``).

The release's two prediction MLPs (docs/method.md §6: ``Linear GELU
Linear`` + activation) become ``motion_head.pred`` (trajectories) and
``head.pred`` (HOG). The
paper gives no names for them (docs/method.md §9), so they are found by
their shapes (:func:`prediction_heads`): any two-layer ``P.0`` / ``P.2``
MLP on the decoder's width whose output is a multiple of 8 (trajectories:
2 x L x 4 sub-cells) but not of 36 is the trajectory head, one whose output
is a multiple of 36 (HOG: colours x 9 bins x 4 cells) but not of 8 is the
HOG head.
"""
import re
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from torch import Tensor

# VideoMAE name patterns -> MMAction2 names, inside one ViT block.
_BLOCK_RULES = (
    (r'blocks\.(\d+)\.(norm1|norm2|attn\.proj)\.(weight|bias)',
     r'blocks.\1.\2.\3'),
    (r'blocks\.(\d+)\.attn\.(qkv\.weight|q_bias|v_bias)',
     r'blocks.\1.attn.\2'),
    (r'blocks\.(\d+)\.(gamma_1|gamma_2)', r'blocks.\1.\2'),
    (r'blocks\.(\d+)\.mlp\.fc1\.(weight|bias)',
     r'blocks.\1.mlp.layers.0.0.\2'),
    (r'blocks\.(\d+)\.mlp\.fc2\.(weight|bias)', r'blocks.\1.mlp.layers.1.\2'),
)
_NORM_RULE = (r'norm\.(weight|bias)', r'norm.\1')
# The encoder (backbone) and the decoder (neck), without their prefix.
_ENCODER_RULES = (
    (r'patch_embed\.proj\.(weight|bias)', r'patch_embed.projection.\1'),
    (r'pos_embed', 'pos_embed'),
    (r'fc_norm\.(weight|bias)', r'fc_norm.\1'),
    _NORM_RULE,
) + _BLOCK_RULES
_DECODER_RULES = (_NORM_RULE, ) + _BLOCK_RULES
# Parts of our models: MME and VideoMAE have the first four, MotionMAE and
# MAM2 the others too.
_OUR_PARTS = ('backbone.', 'neck.', 'head.', 'cls_head.', 'motion_neck.',
              'motion_head.', 'regressor.', 'target_generator.')
# The parameters of a ``Linear GELU Linear act`` head, below its prefix.
_HEAD_PARAMS = ('0.weight', '0.bias', '2.weight', '2.bias')


def detect_format(state: Mapping[str, Tensor]) -> str:
    """Tell the naming scheme of a state dict.

    Returns:
        str: ``'mmaction'`` (keys under ``backbone.``),
        ``'videomae_pretrain'`` (keys under ``encoder.``) or
        ``'videomae_finetune'``.
    """
    if any(key.startswith('backbone.') for key in state):
        return 'mmaction'
    if any(key.startswith('encoder.') for key in state):
        return 'videomae_pretrain'
    return 'videomae_finetune'


def _rename(name: str, rules: Sequence[Tuple[str, str]]) -> Optional[str]:
    for pattern, replacement in rules:
        if re.fullmatch(pattern, name):
            return re.sub(pattern, replacement, name)
    return None


def _prefixed(prefix: str, name: Optional[str]) -> Optional[str]:
    return None if name is None else prefix + name


def canonical_key(key: str, source_format: str) -> Optional[str]:
    """Our name (MME / recognizer layout) of a source key.

    Args:
        key (str): A key of the source state dict.
        source_format (str): Its format, see :func:`detect_format`.

    Returns:
        str | None: The name in our layout, or None if the key has no
        counterpart by name (e.g. a prediction head, see
        :func:`prediction_heads`).
    """
    if source_format == 'mmaction':
        return key if key.startswith(_OUR_PARTS) else None
    if source_format == 'videomae_finetune':
        if re.fullmatch(r'head\.(weight|bias)', key):
            return 'cls_head.fc_cls.' + key.split('.')[1]
        return _prefixed('backbone.', _rename(key, _ENCODER_RULES))
    if key.startswith('encoder.'):
        return _prefixed('backbone.',
                         _rename(key[len('encoder.'):], _ENCODER_RULES))
    if re.fullmatch(r'encoder_to_decoder(\.0)?\.weight', key):
        return 'neck.encoder_to_decoder.weight'
    if key == 'mask_token':
        return 'neck.mask_token'
    match = re.fullmatch(r'decoder\.(?:0\.)?(.+)', key)
    if match:
        return _prefixed('neck.', _rename(match[1], _DECODER_RULES))
    return None


def _head_kind(out_channels: int) -> Optional[str]:
    """Our head of a prediction MLP with this output width, if it is clear:
    ``'motion_head'`` (trajectories) or ``'head'`` (HOG)."""
    traj, hog = out_channels % 8 == 0, out_channels % 36 == 0
    if traj != hog:
        return 'motion_head' if traj else 'head'
    return None


def prediction_heads(state: Mapping[str, Tensor], keys: Sequence[str],
                     width: int) -> Dict[str, str]:
    """Find MME's two prediction MLPs among ``keys`` by their shapes.

    Args:
        state (Mapping[str, Tensor]): Source state dict.
        keys (Sequence[str]): Its keys left unmapped by name.
        width (int): The decoder's width, the MLPs' input.

    Returns:
        dict[str, str]: Source key -> ``motion_head.pred.*`` or
        ``head.pred.*``, for each kind found exactly once.
    """
    candidates: Dict[str, List[str]] = {}
    for key in keys:
        if not key.endswith('.0.weight'):
            continue
        prefix = key[:-len('0.weight')]
        names = [prefix + param for param in _HEAD_PARAMS]
        if not set(names) <= set(keys):
            continue
        first, second = state[names[0]], state[names[2]]
        if (first.dim(), second.dim()) != (2, 2) or first.shape[1] != width \
                or second.shape[1] != first.shape[0]:
            continue
        kind = _head_kind(second.shape[0])
        if kind is not None:
            candidates.setdefault(kind, []).append(prefix)
    return {
        prefixes[0] + param: f'{kind}.pred.{param}'
        for kind, prefixes in candidates.items() if len(prefixes) == 1
        for param in _HEAD_PARAMS
    }

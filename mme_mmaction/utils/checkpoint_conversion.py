"""Convert VideoMAE-style and our checkpoints to MMAction2's.

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

Targets:

* ``'recognizer'``: ``Recognizer3D`` with MMAction2's ``VisionTransformer``
  (``backbone.*``) and a ``cls_head.fc_cls`` linear head.
* ``'mme'``: our :class:`~mme_mmaction.models.MME` (``backbone.*``,
  ``neck.*``, ``head.*``).

What is dropped on purpose (reported in :attr:`ConversionReport.dropped`):

* To ``'recognizer'``: everything of a pre-training model but its encoder
  (decoder, ``encoder_to_decoder``, ``mask_token``, prediction heads
  whatever their names), and the pre-training encoder's final ``norm``:
  with ``use_mean_pooling=True`` (the fine-tuning setting) the stock
  backbone's ``norm`` is an Identity and its ``fc_norm`` is trained from
  scratch, as in VideoMAE. ``keep_norm=True`` keeps it for a backbone with
  ``use_mean_pooling=False``.
* To ``'mme'``: ``fc_norm`` and the classification head.

To ``'mme'``, the release's two prediction MLPs (docs/method.md §6:
``Linear GELU Linear`` + activation) become ``head.traj_pred`` and
``head.hog_pred``. The paper gives no names for them (docs/method.md §9),
so they are found by their shapes: any two-layer ``P.0`` / ``P.2`` MLP on
the decoder's width whose output is a multiple of 8 (trajectories: 2 x L x
4 sub-cells) but not of 36 is the trajectory head, one whose output is a
multiple of 36 (HOG: colours x 9 bins x 4 cells) but not of 8 is the HOG
head.

Source keys without a counterpart in the target are reported in
:attr:`ConversionReport.unmapped`, e.g. VideoMAE's pixel head
``decoder.head.*``.

The target always has ``backbone.pos_embed`` (a persistent buffer of the
stock backbone): a source table is copied, or resampled with
:func:`resample_pos_embed` when the token grid differs; without one (the
release has none) it is the sinusoid table for the target grid. The grid of
a source table is the one given, the one its checkpoint stores (see
:func:`stored_clip`), or told from its size (:func:`infer_grid`).
"""
import ast
import math
import os.path as osp
import re
import zipfile
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import torch
from mmaction.models.backbones.vit_mae import get_sinusoid_encoding
from torch import Tensor

from mme_mmaction.models.utils import resample_pos_embed

from .checkpoint_files import checkpoint_problem

TARGETS = ('recognizer', 'mme')
Grid = Tuple[int, int, int]

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
# The patch embedding: (C, 3, tubelet, patch, patch).
_PROJECTION = 'backbone.patch_embed.projection.weight'


class UnknownGridError(ValueError):
    """The token grid of a position table cannot be told from its size.

    Attributes:
        problem (str): What is unknown, without the fix, which differs
            between the Python API (``src_grid``) and the command line.
    """

    def __init__(self, problem: str) -> None:
        super().__init__(f"{problem}; pass src_grid=(T', H', W').")
        self.problem = problem


@dataclass(frozen=True)
class ClipSize:
    """A ViT's input clip and tubelet sizes; the defaults are ViT-B/16's.

    Attributes:
        num_frames (int): Frames per clip.
        img_size (int): Side of the square frames.
        patch_size (int): Side of a tubelet.
        tubelet_size (int): Frames per tubelet.
    """

    num_frames: int = 16
    img_size: int = 224
    patch_size: int = 16
    tubelet_size: int = 2

    @property
    def grid(self) -> Grid:
        """The token grid (T', H', W') of a clip."""
        side = self.img_size // self.patch_size
        return self.num_frames // self.tubelet_size, side, side

    def __str__(self) -> str:
        return (f'{self.num_frames} x {self.img_size} x {self.img_size} '
                f'clips, {self.tubelet_size} x {self.patch_size} x '
                f'{self.patch_size} tubelets')


@dataclass
class ConversionReport:
    """What a conversion did with every key.

    Attributes:
        source_format (str): See :func:`detect_format`.
        unmapped (list[str]): Source keys with no counterpart in the target.
        dropped (list[str]): Source keys left out on purpose (see the
            module docstring).
        pos_embed (str): How ``backbone.pos_embed`` was obtained.
        missing (list[str], optional): Target-model keys the result lacks;
            None if the target model's state dict was not given.
        unexpected (list[str], optional): Result keys the target model
            lacks or has with another shape; None likewise.
    """

    source_format: str
    unmapped: List[str]
    dropped: List[str]
    pos_embed: str
    missing: Optional[List[str]] = None
    unexpected: Optional[List[str]] = None

    def summary(self) -> str:
        """Human-readable report that names every listed key."""
        lines = [f'source format: {self.source_format}',
                 f'backbone.pos_embed: {self.pos_embed}']
        for name in ('unmapped', 'dropped', 'missing', 'unexpected'):
            keys = getattr(self, name)
            if keys is None:
                lines.append(f'{name}: not checked (no target model given)')
                continue
            lines.append(f'{name} ({len(keys)})' + (':' if keys else ''))
            lines.extend(f'  {key}' for key in keys)
        return '\n'.join(lines)


def _unsafe_globals(path: str) -> List[str]:
    """What a zip checkpoint would unpickle beyond the allowed objects."""
    if not zipfile.is_zipfile(path):
        return []
    try:
        return torch.serialization.get_unsafe_globals_in_checkpoint(path)
    except Exception:  # a damaged archive: reported as not a checkpoint
        return []


def load_checkpoint_file(path: str,
                         trust_source: bool = False) -> Dict[str, Any]:
    """Load a checkpoint to convert, refusing what it cannot vouch for.

    Files are loaded with ``weights_only=True`` (plus the mmengine objects
    :mod:`mme_mmaction.compat` allows). Some files need a full unpickling,
    which can run any code they hold: the MME release's checkpoints pickle
    an ``argparse.Namespace``. Those load only with ``trust_source=True``.

    Args:
        path (str): The checkpoint file.
        trust_source (bool): Unpickle in full if needed. Defaults to False.

    Returns:
        dict: The loaded checkpoint.

    Raises:
        ValueError: With one line naming the file and the problem: missing,
            empty, not a checkpoint, not a dict, or (without
            ``trust_source``) in need of a full unpickling.
    """
    if not osp.isfile(path):
        raise ValueError(f'{path}: no such file.')
    problem = checkpoint_problem(path)
    if problem is not None:
        raise ValueError(f'{path} {problem}.')
    try:
        checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as error:
        unsafe = _unsafe_globals(path)
        if unsafe and not trust_source:
            raise ValueError(
                f'{path} holds objects that only a full unpickling can load '
                f'({", ".join(unsafe)}), which would run any code the file '
                'contains; if you trust its source, rerun with '
                '--trust-source.') from error
        if not trust_source:
            raise ValueError(f'{path} is not a PyTorch checkpoint '
                             f'({type(error).__name__}).') from error
        try:
            checkpoint = torch.load(
                path, map_location='cpu', weights_only=False)
        except Exception as full_error:
            raise ValueError(
                f'{path} is not a PyTorch checkpoint '
                f'({type(full_error).__name__}).') from full_error
    if not isinstance(checkpoint, Mapping):
        raise ValueError(f'{path} holds a {type(checkpoint).__name__}, not '
                         'a checkpoint dict.')
    return dict(checkpoint)


def extract_state_dict(checkpoint: Mapping[str, Any]) -> Dict[str, Tensor]:
    """The state dict inside a loaded checkpoint.

    Args:
        checkpoint (Mapping): ``torch.load`` result: a dict with
            ``state_dict`` (mmengine), ``module`` (DeepSpeed) or ``model``
            (the release, VideoMAE), or a bare state dict.

    Returns:
        dict[str, Tensor]: The parameters and buffers.
    """
    for container in ('state_dict', 'module', 'model'):
        if isinstance(checkpoint.get(container), Mapping):
            return dict(checkpoint[container])
    if all(isinstance(v, Tensor) for v in checkpoint.values()):
        return dict(checkpoint)
    raise ValueError('No state dict found: expected a state_dict, module or '
                     f'model entry, got keys {sorted(checkpoint)}.')


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


def _canonical_key(key: str, source_format: str) -> Optional[str]:
    """Our name (MME / recognizer layout) of a source key, or None."""
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
    """Our head of a prediction MLP with this output width, if it is clear."""
    traj, hog = out_channels % 8 == 0, out_channels % 36 == 0
    if traj != hog:
        return 'traj_pred' if traj else 'hog_pred'
    return None


def prediction_heads(state: Mapping[str, Tensor], keys: Sequence[str],
                     width: int) -> Dict[str, str]:
    """Find MME's two prediction MLPs among ``keys`` by their shapes.

    Args:
        state (Mapping[str, Tensor]): Source state dict.
        keys (Sequence[str]): Its keys left unmapped by name.
        width (int): The decoder's width, the MLPs' input.

    Returns:
        dict[str, str]: Source key -> ``head.traj_pred.*`` or
        ``head.hog_pred.*``, for each kind found exactly once.
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
        prefixes[0] + param: f'head.{kind}.{param}'
        for kind, prefixes in candidates.items() if len(prefixes) == 1
        for param in _HEAD_PARAMS
    }


def _kept(key: str, to: str, pretrain_source: bool, keep_norm: bool) -> bool:
    """Whether a key in our layout belongs in the target."""
    if to == 'mme':
        return (key.startswith(('backbone.', 'neck.', 'head.'))
                and not key.startswith('backbone.fc_norm.'))
    if key.startswith('backbone.norm.'):
        return keep_norm or not pretrain_source
    return key.startswith(('backbone.', 'cls_head.'))


def infer_grid(num_tokens: int, like: Grid) -> Grid:
    """The token grid of a position table, told from the target grid.

    ``like`` itself if it has ``num_tokens`` tokens; otherwise the one grid
    that shares its spatial size or its (square) time length.

    Raises:
        UnknownGridError: If no or more than one grid fits.
    """
    if num_tokens == math.prod(like):
        return tuple(like)
    t, h, w = like
    candidates = set()
    if num_tokens % (h * w) == 0:
        candidates.add((num_tokens // (h * w), h, w))
    side = math.isqrt(num_tokens // t)
    if side**2 * t == num_tokens:
        candidates.add((t, side, side))
    if len(candidates) != 1:
        raise UnknownGridError(
            f'cannot tell the token grid of a {num_tokens}-token position '
            f'table from its size (candidates: {sorted(candidates)})')
    return candidates.pop()


def _literal(node: ast.AST) -> Any:
    """The value of a literal or ``dict(...)`` expression, else None."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == 'dict' and not node.args):
        return {
            keyword.arg: _literal(keyword.value)
            for keyword in node.keywords if keyword.arg is not None
        }
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError):
        return None


def _config_backbone(text: Any) -> Dict[str, Any]:
    """``model.backbone`` of a config's text, as far as it is literal.

    The text is parsed, never run: a checkpoint could carry any code in it.
    """
    if not isinstance(text, str):
        return {}
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return {}
    backbone = None
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and getattr(node.targets[0], 'id', None) == 'model'):
            model = _literal(node.value)
            if isinstance(model, dict):
                backbone = model.get('backbone')
    return backbone if isinstance(backbone, dict) else {}


def _sizes(*values: Any) -> bool:
    """Whether every value is a positive int."""
    return all(type(value) is int and value > 0 for value in values)


def stored_clip(
        checkpoint: Mapping[str, Any],
        state: Mapping[str, Tensor]) -> Optional[Tuple[ClipSize, str]]:
    """The clip size a checkpoint of ours was trained or converted for.

    Read from ``model.backbone``'s ``num_frames`` and ``img_size`` in the
    config text that mmengine's Runner stores in ``meta['cfg']`` (parsed,
    not run), else from the ``meta['token_grid']`` a converted checkpoint
    stores; the tubelet size is the patch embedding's kernel. A size whose
    grid does not fit the position table is passed over.

    Args:
        checkpoint (Mapping): The loaded checkpoint.
        state (Mapping[str, Tensor]): Its state dict, with the
            ``backbone.patch_embed`` of our layout.

    Returns:
        tuple[ClipSize, str] | None: The clip size and where it was read,
        or None if the checkpoint stores none that fits.
    """
    meta, kernel = checkpoint.get('meta'), state.get(_PROJECTION)
    if not isinstance(meta, Mapping) or kernel is None or kernel.dim() != 5:
        return None
    tubelet, patch = kernel.shape[2], kernel.shape[4]
    found = []
    backbone = _config_backbone(meta.get('cfg'))
    frames, side = backbone.get('num_frames'), backbone.get('img_size')
    if _sizes(frames, side):
        found.append((ClipSize(frames, side, patch, tubelet),
                      "the checkpoint's config (meta['cfg'])"))
    grid = meta.get('token_grid')
    if (isinstance(grid, (tuple, list)) and len(grid) == 3 and _sizes(*grid)
            and grid[1] == grid[2]):
        clip = ClipSize(grid[0] * tubelet, grid[1] * patch, patch, tubelet)
        found.append((clip, "the checkpoint's meta['token_grid']"))
    table = state.get('backbone.pos_embed')
    for clip, origin in found:
        if table is None or math.prod(clip.grid) == table.shape[1]:
            return clip, origin
    return None


def _target_pos_embed(state: Mapping[str, Tensor], grid: Grid,
                      src_grid: Optional[Grid]) -> Tuple[Tensor, str]:
    """``backbone.pos_embed`` for the target and how it was obtained."""
    source = state.get('backbone.pos_embed')
    if source is None:
        projection = state.get(_PROJECTION)
        if projection is None:
            raise ValueError('The source has neither a position table nor a '
                             'patch embedding to size one.')
        table = get_sinusoid_encoding(math.prod(grid), projection.shape[0])
        return table, f'sinusoid table for the token grid {grid}'
    told = ''
    if src_grid is None:
        src_grid = infer_grid(source.shape[1], grid)
        told = f' (told from its {source.shape[1]} tokens)'
    if src_grid == grid:
        return source, f"copied: the token grid {grid} is the source's{told}"
    return (resample_pos_embed(source, src_grid, grid),
            f'resampled: the target token grid {grid} differs from the '
            f"source's {src_grid}{told}")


def compare_with_model(
        state: Mapping[str, Tensor],
        expected: Mapping[str, Tensor]) -> Tuple[List[str], List[str]]:
    """Keys a model expects but ``state`` lacks, and the other way round.

    Args:
        state (Mapping[str, Tensor]): Converted state dict.
        expected (Mapping[str, Tensor]): The target model's state dict.

    Returns:
        tuple[list[str], list[str]]: Missing keys, and unexpected keys (not
        in the model or of another shape, with both shapes).
    """
    missing = sorted(set(expected) - set(state))
    unexpected = []
    for key in sorted(state):
        if key not in expected:
            unexpected.append(key)
        elif expected[key].shape != state[key].shape:
            unexpected.append(f'{key} (shape {tuple(state[key].shape)}, the '
                              f'model has {tuple(expected[key].shape)})')
    return missing, unexpected


def convert_state_dict(
    state: Mapping[str, Tensor],
    to: str,
    token_grid: Sequence[int] = (8, 14, 14),
    src_grid: Optional[Sequence[int]] = None,
    keep_norm: bool = False,
    expected: Optional[Mapping[str, Tensor]] = None,
) -> Tuple[Dict[str, Tensor], ConversionReport]:
    """Convert a state dict to a recognizer's or to MME's layout.

    Args:
        state (Mapping[str, Tensor]): Source state dict (see
            :func:`extract_state_dict`).
        to (str): ``'recognizer'`` or ``'mme'``.
        token_grid (Sequence[int]): Target token grid (T', H', W'), e.g.
            (8, 14, 14) for 16 x 224 x 224 clips with 2 x 16 x 16 tubelets.
        src_grid (Sequence[int], optional): Token grid of the source's
            position table; inferred by :func:`infer_grid` if None.
        keep_norm (bool): Keep a pre-training encoder's final ``norm`` in a
            recognizer (for ``use_mean_pooling=False``). Defaults to False.
        expected (Mapping[str, Tensor], optional): The target model's state
            dict, to report missing and unexpected keys.

    Returns:
        tuple[dict[str, Tensor], ConversionReport]: The converted state
        dict and what happened to every key.

    Raises:
        UnknownGridError: If ``src_grid`` is None and the source table's
            grid cannot be told from its size.
        ValueError: If the source has no encoder to convert or its table
            does not fit ``src_grid``.
    """
    if to not in TARGETS:
        raise ValueError(f'to must be one of {TARGETS}, got {to!r}.')
    source_format = detect_format(state)
    pretrain_source = (source_format == 'videomae_pretrain'
                       or any(key.startswith('neck.') for key in state))
    converted, unmapped, dropped = {}, [], []
    for key, value in state.items():
        name = _canonical_key(key, source_format)
        if name is not None and _kept(name, to, pretrain_source, keep_norm):
            converted[name] = value
        elif name is not None or (to == 'recognizer'
                                  and source_format == 'videomae_pretrain'
                                  and not key.startswith('encoder.')):
            dropped.append(key)
        else:
            unmapped.append(key)
    if to == 'mme' and 'neck.mask_token' in converted:
        heads = prediction_heads(state, unmapped,
                                 converted['neck.mask_token'].shape[-1])
        converted.update({ours: state[key] for key, ours in heads.items()})
        unmapped = [key for key in unmapped if key not in heads]
    grid = tuple(token_grid)
    converted['backbone.pos_embed'], pos_note = _target_pos_embed(
        converted, grid, None if src_grid is None else tuple(src_grid))
    report = ConversionReport(source_format, sorted(unmapped),
                              sorted(dropped), pos_note)
    if expected is not None:
        report.missing, report.unexpected = compare_with_model(
            converted, expected)
    return converted, report

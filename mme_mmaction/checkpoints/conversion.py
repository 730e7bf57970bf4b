"""Convert VideoMAE-style and our state dicts to MMAction2's layouts.

Sources and their key names: :mod:`~mme_mmaction.checkpoints.key_mapping`.

Targets:

* ``'recognizer'``: ``Recognizer3D`` with MMAction2's ``VisionTransformer``
  (``backbone.*``) and a ``cls_head.fc_cls`` linear head.
* ``'mme'``: our :class:`~mme_mmaction.models.MME` (``backbone.*``,
  ``neck.*``, ``head.*``, ``motion_head.*``).

What is dropped on purpose (reported in :attr:`ConversionReport.dropped`):

* To ``'recognizer'``: everything of a pre-training model but its encoder
  (decoder, ``encoder_to_decoder``, ``mask_token``, prediction heads
  whatever their names), and the pre-training encoder's final ``norm``:
  with ``use_mean_pooling=True`` (the fine-tuning setting) the stock
  backbone's ``norm`` is an Identity and its ``fc_norm`` is trained from
  scratch, as in VideoMAE. ``keep_norm=True`` keeps it for a backbone with
  ``use_mean_pooling=False``.
* To ``'mme'``: ``fc_norm`` and the classification head.

To ``'mme'``, the release's two prediction MLPs become ``motion_head.pred``
(trajectories) and ``head.pred`` (HOG)
(:func:`~mme_mmaction.checkpoints.key_mapping.prediction_heads`).

Source keys without a counterpart in the target are reported in
:attr:`ConversionReport.unmapped`, e.g. VideoMAE's pixel head
``decoder.head.*``.

The target always has ``backbone.pos_embed`` (a persistent buffer of the
stock backbone), see :mod:`~mme_mmaction.checkpoints.position_table`.
"""
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from torch import Tensor

from .key_mapping import canonical_key, detect_format, prediction_heads
from .position_table import target_pos_embed

TARGETS = ('recognizer', 'mme')


@dataclass
class ConversionReport:
    """What a conversion did with every key.

    Attributes:
        source_format (str): See
            :func:`~mme_mmaction.checkpoints.detect_format`.
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


def _kept(key: str, to: str, pretrain_source: bool, keep_norm: bool) -> bool:
    """Whether a key in our layout belongs in the target."""
    if to == 'mme':
        return (key.startswith(('backbone.', 'neck.', 'head.',
                                'motion_head.'))
                and not key.startswith('backbone.fc_norm.'))
    if key.startswith('backbone.norm.'):
        return keep_norm or not pretrain_source
    return key.startswith(('backbone.', 'cls_head.'))


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
            :func:`~mme_mmaction.checkpoints.extract_state_dict`).
        to (str): ``'recognizer'`` or ``'mme'``.
        token_grid (Sequence[int]): Target token grid (T', H', W'), e.g.
            (8, 14, 14) for 16 x 224 x 224 clips with 2 x 16 x 16 tubelets.
        src_grid (Sequence[int], optional): Token grid of the source's
            position table; inferred by
            :func:`~mme_mmaction.checkpoints.infer_grid` if None.
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
        name = canonical_key(key, source_format)
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
    converted['backbone.pos_embed'], pos_note = target_pos_embed(
        converted, grid, None if src_grid is None else tuple(src_grid))
    report = ConversionReport(source_format, sorted(unmapped),
                              sorted(dropped), pos_note)
    if expected is not None:
        report.missing, report.unexpected = compare_with_model(
            converted, expected)
    return converted, report

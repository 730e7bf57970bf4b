"""MotionMAE: masked pixels and frame differences."""
from mmaction.registry import MODELS

from .masked_video_pretrainer import MaskedVideoPretrainer


@MODELS.register_module()
class MotionMAE(MaskedVideoPretrainer):
    """Motion-aware masked autoencoding (docs/siblings.md §1).

    A :class:`MaskedVideoPretrainer` with VideoMAE's pixel target and a
    second target per masked token, the difference of nearby frames
    (``FrameDifferenceTarget``). ``Ind`` (independent, the paper's ablation
    default): a second decoder ``motion_neck`` for it; ``Sha`` (shared):
    ``motion_neck=None``, so both heads read the one decoder. The parts are
    the config's (``configs/_base_/models/motionmae_vit-base.py``).
    """

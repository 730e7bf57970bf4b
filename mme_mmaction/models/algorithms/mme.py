"""Masked Motion Encoding: masked pre-training with motion targets."""
from mmaction.registry import MODELS

from .masked_video_pretrainer import MaskedVideoPretrainer


@MODELS.register_module()
class MME(MaskedVideoPretrainer):
    """Masked Motion Encoding pre-training (docs/method.md §1, §6).

    A :class:`MaskedVideoPretrainer` whose appearance target is HOG
    (``HOGGenerator``) and whose motion target is the trajectories of the
    masked tokens' content (``TrajectoryTargetGenerator``, weighted by
    token validity), both predicted by ``MaskedRegressionHead`` MLPs on the
    one decoder. The parts are the config's (``configs/_base_/models/
    mme_vit-base.py``); nothing but them differs from VideoMAE. Data
    samples carry ``mask`` (N,), ``trajectories`` (T', L, 2, Hc, Wc) and
    ``traj_valid`` (T', Hc, Wc) from the data pipeline.
    """

"""MotionMAE: masked pixels and frame differences."""
from typing import Dict, List, Optional

from mmaction.registry import MODELS
from mmengine.structures import BaseDataElement
from torch import Tensor

from .masked_video_pretrainer import MaskedVideoPretrainer


@MODELS.register_module()
class MotionMAE(MaskedVideoPretrainer):
    """Motion-aware masked autoencoding (docs/siblings.md §1).

    VideoMAE with a second target per masked token, the difference of
    nearby frames. ``Ind`` (independent, the paper's ablation default):
    a second decoder ``motion_neck`` for the motion target; ``Sha``
    (shared): ``motion_neck=None``, so both heads read the one decoder.

    Args:
        backbone (dict): Encoder, e.g. ``MaskedMotionEncoder``.
        neck (dict): Decoder of the pixel target, e.g. ``MMEDecoder``.
        head (dict): Pixel head, e.g. ``PixelPretrainHead``.
        target_generator (dict): ``PixelTargetGenerator``.
        motion_generator (dict): ``FrameDifferenceTarget``.
        motion_head (dict): Difference head, e.g. ``PixelPretrainHead``
            with ``loss_name='diff'``.
        motion_neck (dict, optional): Decoder of the difference target.
            Defaults to None (shared decoder).
        data_preprocessor (dict, optional): Defaults to
            ``ActionDataPreprocessor`` with format ``NCTHW``.
        init_cfg (dict, optional): Initialisation.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 target_generator: dict,
                 motion_generator: dict,
                 motion_head: dict,
                 motion_neck: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(backbone, neck, head, target_generator,
                         motion_generator, data_preprocessor, init_cfg)
        self.motion_neck = (self._build_decoder(motion_neck, 'motion_neck')
                            if motion_neck else None)
        self.motion_head = self._build_motion_head(
            motion_head, self.motion_neck or self.neck)

    def loss(self, inputs: Tensor,
             data_samples: List[BaseDataElement]) -> Dict[str, Tensor]:
        """Pre-training losses of a batch.

        Args:
            inputs (Tensor): (B, 1, C, T, H, W) normalised clips.
            data_samples (list[BaseDataElement]): with ``mask`` (N,).

        Returns:
            dict[str, Tensor]: The pixel head's and the difference head's
            losses (``loss_pixel``, ``loss_diff`` by default).
        """
        clips, mask = self._clips_and_mask(inputs, data_samples)
        latent = self.backbone(clips, mask)  # (B, N_visible, C)
        x = self.neck(latent, mask)  # (B, N_masked, C_dec)
        x_motion = x if self.motion_neck is None else self.motion_neck(
            latent, mask)
        pixels = self.target_generator(clips)  # (B, N, 1536)
        difference = self.motion_generator(clips)  # (B, N, 1536)
        losses = self.head.loss(x, pixels, mask)
        losses.update(self.motion_head.loss(x_motion, difference, mask))
        return losses

"""MAM2: masked appearance-motion modelling with a latent regressor."""
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.structures import BaseDataElement
from torch import Tensor

from .masked_video_pretrainer import MaskedVideoPretrainer


@MODELS.register_module()
class MAM2(MaskedVideoPretrainer):
    """Encoder, latent regressor, two decoders (docs/siblings.md §2).

    The encoder sees the visible tokens; the regressor predicts the masked
    tokens' latents from them; one decoder turns those into VQGAN codes
    (cross-entropy), the other into frame differences (MSE). With
    ``align_weight > 0`` the regressor's output is also pulled towards the
    encoder's own latents of the masked tokens (CAE's alignment loss, off
    by default: it costs an encoder pass over the masked tokens).

    Args:
        backbone (dict): Encoder, e.g. ``MaskedMotionEncoder``.
        regressor (dict): ``LatentRegressor``.
        neck (dict): Appearance decoder, e.g. ``MaskedTokenDecoder``.
        head (dict): ``CodePredictionHead``.
        target_generator (dict): ``VQGANTokenizer``.
        motion_generator (dict): ``FrameDifferenceTarget``.
        motion_neck (dict): Motion decoder, e.g. ``MaskedTokenDecoder``.
        motion_head (dict): e.g. ``PixelPretrainHead`` with
            ``loss_name='diff'``.
        align_weight (float): Weight of the alignment loss. Defaults to 0.
        data_preprocessor (dict, optional): Defaults to
            ``ActionDataPreprocessor`` with format ``NCTHW``.
        init_cfg (dict, optional): Initialisation.
    """

    def __init__(self,
                 backbone: dict,
                 regressor: dict,
                 neck: dict,
                 head: dict,
                 target_generator: dict,
                 motion_generator: dict,
                 motion_neck: dict,
                 motion_head: dict,
                 align_weight: float = 0.,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(backbone, neck, head, target_generator,
                         motion_generator, data_preprocessor, init_cfg)
        self.regressor = self._build_decoder(regressor, 'regressor')
        self.motion_neck = self._build_decoder(motion_neck, 'motion_neck')
        self.motion_head = self._build_motion_head(motion_head,
                                                   self.motion_neck)
        self.align_weight = align_weight

    def _head_sizes(self) -> Dict[str, int]:
        return dict(
            in_channels=self.neck.embed_dims,
            num_codes=self.target_generator.out_channels,
            num_classes=self.target_generator.num_classes)

    def _alignment(self, clips: Tensor, mask: Tensor,
                   regressed: Tensor) -> Dict[str, Tensor]:
        """CAE's alignment loss, if enabled."""
        if not self.align_weight:
            return {}
        with torch.no_grad():
            target = self.backbone(clips, ~mask)  # masked tokens' latents
        loss = F.mse_loss(regressed.float(), target.float())
        return dict(loss_align=self.align_weight * loss)

    def loss(self, inputs: Tensor,
             data_samples: List[BaseDataElement]) -> Dict[str, Tensor]:
        """Pre-training losses of a batch.

        Args:
            inputs (Tensor): (B, 1, C, T, H, W) normalised clips.
            data_samples (list[BaseDataElement]): with ``mask`` (N,).

        Returns:
            dict[str, Tensor]: ``loss_code``, ``loss_diff`` (and
            ``loss_align``).
        """
        clips, mask = self._clips_and_mask(inputs, data_samples)
        latent = self.backbone(clips, mask)  # (B, N_visible, C)
        regressed = self.regressor(latent, mask)  # (B, N_masked, C)
        x = self.neck(regressed, mask)  # (B, N_masked, C_dec)
        x_motion = self.motion_neck(regressed, mask)
        codes = self.target_generator(clips)  # (B, N, 2)
        difference = self.motion_generator(clips)  # (B, N, 1536)
        losses = self.head.loss(x, codes, mask)
        losses.update(self.motion_head.loss(x_motion, difference, mask))
        losses.update(self._alignment(clips, mask, regressed))
        return losses

    def predict(self, inputs: Tensor,
                data_samples: List[BaseDataElement]) -> List[BaseDataElement]:
        """Predicted beside target codes of the masked tokens.

        Adds ``pred`` and ``target`` (N_masked, codes per token) int64 to
        every data sample.
        """
        clips, mask = self._clips_and_mask(inputs, data_samples)
        regressed = self.regressor(self.backbone(clips, mask), mask)
        pred = self.head(self.neck(regressed, mask)).argmax(-1)
        codes = self.target_generator(clips)
        for i, sample in enumerate(data_samples):
            sample.set_field(pred[i], 'pred')
            sample.set_field(codes[i][mask[i]], 'target')
        return data_samples

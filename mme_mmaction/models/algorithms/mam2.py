"""MAM2: masked appearance-motion modelling with a latent regressor."""
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
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
        motion_head (dict): e.g. ``MaskedRegressionHead`` with
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
                         motion_generator, motion_head, motion_neck,
                         data_preprocessor, init_cfg)
        self.regressor = self._build_decoder(regressor, 'regressor')
        self.align_weight = align_weight

    def encode(self, clips: Tensor, mask: Tensor) -> Tensor:
        """(B, N_masked, C) latents of the masked tokens, regressed from the
        encoder's features of the visible ones."""
        return self.regressor(self.backbone(clips, mask), mask)

    def extra_losses(self, clips: Tensor, mask: Tensor,
                     latent: Tensor) -> Dict[str, Tensor]:
        """CAE's alignment loss, if enabled."""
        if not self.align_weight:
            return {}
        with torch.no_grad():
            target = self.backbone(clips, ~mask)  # masked tokens' latents
        loss = F.mse_loss(latent.float(), target.float())
        return dict(loss_align=self.align_weight * loss)

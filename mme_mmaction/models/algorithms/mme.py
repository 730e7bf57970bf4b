"""Masked Motion Encoding: masked pre-training with motion targets."""
from typing import Dict, List, Optional, Tuple

from mmaction.registry import MODELS
from mmengine.structures import BaseDataElement
from torch import Tensor

from .masked_video_pretrainer import MaskedVideoPretrainer


@MODELS.register_module()
class MME(MaskedVideoPretrainer):
    """Masked Motion Encoding pre-training (docs/method.md §1, §6).

    The encoder sees the visible tokens, the decoder fills in the masked
    ones, the head predicts their trajectories and HOG. Data samples carry
    ``mask`` (N,), ``trajectories`` (T', L, 2, Hc, Wc) and ``traj_valid``
    (T', Hc, Wc) from the data pipeline.

    Args:
        backbone (dict): Encoder, e.g. ``MaskedMotionEncoder``.
        neck (dict): Decoder, e.g. ``MMEDecoder``.
        head (dict): ``MMEPretrainHead``.
        target_generator (dict): Appearance target, e.g. ``HOGGenerator``.
        motion_generator (dict): Trajectory target from the pipeline's
            per-cell steps. Defaults to ``TrajectoryTargetGenerator``.
        data_preprocessor (dict, optional): Defaults to
            ``ActionDataPreprocessor`` with format ``NCTHW``.
        init_cfg (dict, optional): Initialisation.
    """

    sample_keys = ('mask', 'trajectories', 'traj_valid')

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 target_generator: dict,
                 motion_generator: dict = dict(
                     type='TrajectoryTargetGenerator'),
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(backbone, neck, head, target_generator,
                         motion_generator, data_preprocessor, init_cfg)

    def _head_sizes(self) -> Dict[str, int]:
        return dict(
            in_channels=self.neck.embed_dims,
            traj_channels=self.motion_generator.out_channels,
            hog_channels=self.target_generator.out_channels)

    def _trajectory_targets(
            self, data_samples: List[BaseDataElement],
            clips: Tensor) -> Tuple[Tensor, Tensor]:
        """(B, N, C) trajectory targets and (B, N) validity."""
        return self.motion_generator(
            self._field(data_samples, 'trajectories', clips.device),
            self._field(data_samples, 'traj_valid', clips.device))

    def loss(self, inputs: Tensor,
             data_samples: List[BaseDataElement]) -> Dict[str, Tensor]:
        """Pre-training losses of a batch.

        Args:
            inputs (Tensor): (B, 1, C, T, H, W) normalised clips.
            data_samples (list[BaseDataElement]): with ``mask``,
                ``trajectories`` and ``traj_valid``.

        Returns:
            dict[str, Tensor]: ``loss_traj`` and ``loss_hog``.
        """
        clips, mask = self._clips_and_mask(inputs, data_samples)
        latent = self.backbone(clips, mask)  # (B, N_visible, C)
        x = self.neck(latent, mask)  # (B, N_masked, C_dec)
        hog = self.target_generator(clips)  # (B, N, 108)
        traj, validity = self._trajectory_targets(data_samples, clips)
        return self.head.loss(x, traj, validity, hog, mask)

    def predict(self, inputs: Tensor,
                data_samples: List[BaseDataElement]) -> List[BaseDataElement]:
        """Predictions beside their targets, for inspection.

        Adds to every data sample, for its masked tokens in ascending order:
        ``pred_traj`` / ``target_traj`` (N_masked, C), ``pred_hog`` /
        ``target_hog`` (N_masked, hog channels) and ``traj_validity``
        (N_masked,).
        """
        clips, mask = self._clips_and_mask(inputs, data_samples)
        pred_traj, pred_hog = self.head(
            self.neck(self.backbone(clips, mask), mask))
        hog = self.target_generator(clips)
        traj, validity = self._trajectory_targets(data_samples, clips)
        for i, sample in enumerate(data_samples):
            sample.set_field(pred_traj[i].float(), 'pred_traj')
            sample.set_field(pred_hog[i].float(), 'pred_hog')
            sample.set_field(traj[i][mask[i]], 'target_traj')
            sample.set_field(hog[i][mask[i]].float(), 'target_hog')
            sample.set_field(validity[i][mask[i]], 'traj_validity')
        return data_samples

"""Masked Motion Encoding: masked pre-training with motion targets."""
from typing import List, Optional

from mmaction.registry import MODELS
from mmengine.structures import BaseDataElement
from torch import Tensor

from .masked_video_pretrainer import MaskedVideoPretrainer


@MODELS.register_module()
class MME(MaskedVideoPretrainer):
    """Masked Motion Encoding pre-training (METHOD §1, §6).

    The encoder sees the visible tokens, the decoder fills in the masked
    ones, the head predicts their trajectories and HOG. Data samples carry
    ``mask`` (N,), ``trajectories`` (T', L, 2, Hc, Wc) and ``traj_valid``
    (T', Hc, Wc) from the data pipeline.

    Args:
        backbone (dict): Encoder, e.g. ``MaskedMotionEncoder``.
        neck (dict): Decoder, e.g. ``MMEDecoder``.
        head (dict): ``MMEPretrainHead``.
        target_generator (dict): Appearance target, e.g. ``HOGGenerator``.
        data_preprocessor (dict, optional): Defaults to
            ``ActionDataPreprocessor`` with format ``NCTHW``.
        init_cfg (dict, optional): Initialisation.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 target_generator: dict,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            backbone,
            neck,
            head,
            target_generator,
            sample_keys=('trajectories', 'traj_valid'),
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)

    def predict(self, inputs: Tensor,
                data_samples: List[BaseDataElement]) -> List[BaseDataElement]:
        """Predictions beside their targets, for inspection.

        Adds to every data sample, for its masked tokens in ascending order:
        ``pred_traj`` / ``target_traj`` (N_masked, C), ``pred_hog`` /
        ``target_hog`` (N_masked, hog channels) and ``traj_validity``
        (N_masked,).
        """
        out = self._decode(inputs, data_samples)
        pred_traj, pred_hog = self.head(out['x'])
        target_traj, validity = self.head.trajectory_target(
            out['trajectories'], out['traj_valid'])
        for i, sample in enumerate(data_samples):
            mask = out['mask'][i]
            sample.set_field(pred_traj[i].float(), 'pred_traj')
            sample.set_field(pred_hog[i].float(), 'pred_hog')
            sample.set_field(target_traj[i][mask], 'target_traj')
            sample.set_field(out['target'][i][mask].float(), 'target_hog')
            sample.set_field(validity[i][mask], 'traj_validity')
        return data_samples

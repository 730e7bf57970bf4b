"""Masked Motion Encoding: the algorithm that ties the parts together."""
from typing import Dict, List, Optional, Tuple, Union

import numpy as np
import torch
from mmaction.registry import MODELS
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch import Tensor


@MODELS.register_module()
class MME(BaseModel):
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
        if data_preprocessor is None:
            data_preprocessor = dict(
                type='ActionDataPreprocessor', format_shape='NCTHW')
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.head = MODELS.build(head)
        self.target_generator = MODELS.build(target_generator)

    @staticmethod
    def _clips(inputs: Tensor) -> Tensor:
        """(B, num_clips, C, T, H, W) or (B, C, T, H, W) -> (B', C, T, H, W)."""
        return inputs.flatten(0, 1) if inputs.dim() == 6 else inputs

    @staticmethod
    def _stack(data_samples: List[BaseDataElement], key: str,
               device: torch.device) -> Tensor:
        if not all(key in sample for sample in data_samples):
            raise KeyError(
                f'Data samples lack {key!r}: pack it with PackActionInputs('
                f"algorithm_keys=('mask', 'trajectories', 'traj_valid')).")
        values = [torch.as_tensor(np.asarray(s.get(key))) for s in data_samples]
        return torch.stack(values).to(device)

    def _targets(self, inputs: Tensor,
                 data_samples: List[BaseDataElement]
                 ) -> Tuple[Tensor, Tensor, Tensor]:
        if len(inputs) != len(data_samples):
            raise ValueError('MME pre-trains on one clip per sample; got '
                             f'{len(inputs)} clips for {len(data_samples)} '
                             'samples.')
        return tuple(
            self._stack(data_samples, key, inputs.device)
            for key in ('mask', 'trajectories', 'traj_valid'))

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], Tensor,
                                               List[BaseDataElement]]:
        """Dispatch to ``loss``, ``predict`` or ``extract_feat``."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.extract_feat(inputs)
        raise ValueError(f'Invalid mode {mode!r}.')

    def extract_feat(self, inputs: Tensor) -> Tensor:
        """Encoder features of whole clips (no mask).

        Args:
            inputs (Tensor): (B, [num_clips,] C, T, H, W).

        Returns:
            Tensor: What the backbone returns without a mask.
        """
        return self.backbone(self._clips(inputs))

    def _decode(self, inputs: Tensor, data_samples: List[BaseDataElement]
                ) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        """Encode visible tokens, decode masked ones, gather the targets.

        Returns:
            tuple: decoder features (B, N_masked, C_dec), mask (B, N),
            trajectories (B, T', L, 2, Hc, Wc), seed validity
            (B, T', Hc, Wc) and HOG targets (B, N, hog channels).
        """
        clips = self._clips(inputs)
        mask, traj, valid = self._targets(clips, data_samples)
        feats = self.neck(self.backbone(clips, mask), mask)
        return feats, mask, traj, valid, self.target_generator(clips)

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
        return self.head.loss(*self._decode(inputs, data_samples))

    def predict(self, inputs: Tensor,
                data_samples: List[BaseDataElement]) -> List[BaseDataElement]:
        """Predictions beside their targets, for inspection.

        Adds to every data sample, for its masked tokens in ascending order:
        ``pred_traj`` / ``target_traj`` (N_masked, 2*L*k*k), ``pred_hog`` /
        ``target_hog`` (N_masked, hog channels) and ``traj_validity``
        (N_masked,).
        """
        feats, mask, traj, valid, hog = self._decode(inputs, data_samples)
        pred_traj, pred_hog = self.head(feats)
        target_traj, validity = self.head.trajectory_target(traj, valid)
        for i, sample in enumerate(data_samples):
            sample.set_field(pred_traj[i].float(), 'pred_traj')
            sample.set_field(pred_hog[i].float(), 'pred_hog')
            sample.set_field(target_traj[i][mask[i]], 'target_traj')
            sample.set_field(hog[i][mask[i]].float(), 'target_hog')
            sample.set_field(validity[i][mask[i]], 'traj_validity')
        return data_samples

"""Masked video pre-training: the glue shared by MME and its siblings."""
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmaction.registry import MODELS
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch import Tensor


@MODELS.register_module()
class MaskedVideoPretrainer(BaseModel):
    """Encoder on visible tokens, decoder on masked ones, head on targets.

    ``target_generator`` computes a model-side target from the normalised
    clips (HOG for MME, patch pixels for VideoMAE); ``sample_keys`` names
    the targets the data pipeline made (e.g. MME's trajectories). The head
    gets ``head.loss(features, mask, target, **sample_targets)``.

    Args:
        backbone (dict): Encoder, e.g. ``MaskedMotionEncoder``.
        neck (dict): Decoder, e.g. ``MMEDecoder``.
        head (dict): Head with ``loss``, e.g. ``PixelPretrainHead``.
        target_generator (dict): Model-side target, e.g.
            ``PixelTargetGenerator``.
        sample_keys (Sequence[str]): Data-sample fields passed to the head.
            Defaults to none.
        data_preprocessor (dict, optional): Defaults to
            ``ActionDataPreprocessor`` with format ``NCTHW``.
        init_cfg (dict, optional): Initialisation.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 target_generator: dict,
                 sample_keys: Sequence[str] = (),
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
        self.sample_keys = tuple(sample_keys)

    @staticmethod
    def _clips(inputs: Tensor) -> Tensor:
        """(B, num_clips, C, T, H, W) or (B, C, T, H, W) -> (B', C, T, H, W)."""
        return inputs.flatten(0, 1) if inputs.dim() == 6 else inputs

    def _stack(self, data_samples: List[BaseDataElement], key: str,
               device: torch.device) -> Tensor:
        if not all(key in sample for sample in data_samples):
            keys = ('mask', *self.sample_keys)
            raise KeyError(
                f'Data samples lack {key!r}: pack it with PackActionInputs('
                f'algorithm_keys={keys}).')
        values = [torch.as_tensor(np.asarray(s.get(key))) for s in data_samples]
        return torch.stack(values).to(device)

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
                ) -> Dict[str, Tensor]:
        """Encode visible tokens, decode masked ones, gather the targets.

        Returns:
            dict: ``x`` decoder features (B, N_masked, C_dec), ``mask``
            (B, N), ``target`` from the target generator (B, N, D) and the
            ``sample_keys`` fields stacked over the batch.
        """
        clips = self._clips(inputs)
        if len(clips) != len(data_samples):
            raise ValueError('Masked pre-training takes one clip per sample; '
                             f'got {len(clips)} clips for '
                             f'{len(data_samples)} samples.')
        mask = self._stack(data_samples, 'mask', clips.device)
        return dict(
            x=self.neck(self.backbone(clips, mask), mask),
            mask=mask,
            target=self.target_generator(clips),
            **{
                key: self._stack(data_samples, key, clips.device)
                for key in self.sample_keys
            })

    def loss(self, inputs: Tensor,
             data_samples: List[BaseDataElement]) -> Dict[str, Tensor]:
        """Pre-training losses of a batch.

        Args:
            inputs (Tensor): (B, 1, C, T, H, W) normalised clips.
            data_samples (list[BaseDataElement]): with ``mask`` and the
                ``sample_keys`` fields.

        Returns:
            dict[str, Tensor]: The head's losses.
        """
        return self.head.loss(**self._decode(inputs, data_samples))

    def predict(self, inputs: Tensor,
                data_samples: List[BaseDataElement]) -> List[BaseDataElement]:
        """Predictions beside their targets for the masked tokens.

        Adds ``pred`` and ``target`` (N_masked, D) to every data sample.
        """
        out = self._decode(inputs, data_samples)
        pred = self.head(out['x'])
        for i, sample in enumerate(data_samples):
            sample.set_field(pred[i].float(), 'pred')
            sample.set_field(out['target'][i][out['mask'][i]].float(),
                             'target')
        return data_samples

"""Masked video pre-training: VideoMAE, and the parts its siblings share."""
from typing import Dict, List, Optional, Tuple, Union

import numpy as np
import torch
from mmaction.registry import MODELS
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch import Tensor, nn

from ..utils import build_sized


@MODELS.register_module()
class MaskedVideoPretrainer(BaseModel):
    """Encoder on visible tokens, decoder on masked ones, head on a target.

    With a pixel target generator and head this is VideoMAE. Sizes have one
    source: the decoder takes its token count and input width from the
    encoder, the head its input width from the decoder and its output
    width from the target generator, so configs leave them out.

    Args:
        backbone (dict): Encoder, e.g. ``MaskedMotionEncoder``.
        neck (dict): Decoder, e.g. ``MMEDecoder``.
        head (dict): Head with ``loss``, e.g. ``PixelPretrainHead``.
        target_generator (dict): Appearance target computed from the
            normalised clips, e.g. ``PixelTargetGenerator``.
        motion_generator (dict, optional): Motion target of the siblings
            (built before the head, which may need its size). Defaults to
            None.
        data_preprocessor (dict, optional): Defaults to
            ``ActionDataPreprocessor`` with format ``NCTHW``.
        init_cfg (dict, optional): Initialisation.
    """

    #: Data-sample fields :meth:`loss` reads.
    sample_keys: Tuple[str, ...] = ('mask', )

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 target_generator: dict,
                 motion_generator: Optional[dict] = None,
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
        self.neck = self._build_decoder(neck, 'neck')
        self.target_generator = MODELS.build(target_generator)
        self.motion_generator = (MODELS.build(motion_generator)
                                 if motion_generator else None)
        self.head = build_sized(head, 'head', **self._head_sizes())

    def _build_decoder(self, cfg: dict, name: str) -> nn.Module:
        """A decoder over the encoder's tokens."""
        return build_sized(
            cfg,
            name,
            num_tokens=self.backbone.num_tokens,
            in_channels=self.backbone.embed_dims)

    def _build_motion_head(self, cfg: dict, decoder: nn.Module) -> nn.Module:
        """The head of the motion target, on ``decoder``'s output."""
        return build_sized(
            cfg,
            'motion_head',
            in_channels=decoder.embed_dims,
            out_channels=self.motion_generator.out_channels)

    def _head_sizes(self) -> Dict[str, int]:
        """Sizes of ``head`` that the other parts determine."""
        return dict(
            in_channels=self.neck.embed_dims,
            out_channels=self.target_generator.out_channels)

    @staticmethod
    def _clips(inputs: Tensor) -> Tensor:
        """(B, clips, C, T, H, W) or (B, C, T, H, W) -> (B', C, T, H, W)."""
        return inputs.flatten(0, 1) if inputs.dim() == 6 else inputs

    def _field(self, data_samples: List[BaseDataElement], key: str,
               device: torch.device) -> Tensor:
        """A data-sample field stacked over the batch."""
        if not all(key in sample for sample in data_samples):
            raise KeyError(
                f'Data samples lack {key!r}: pack it with PackActionInputs('
                f'algorithm_keys={self.sample_keys}).')
        values = [
            torch.as_tensor(np.asarray(s.get(key))) for s in data_samples
        ]
        return torch.stack(values).to(device)

    def _clips_and_mask(
            self, inputs: Tensor,
            data_samples: List[BaseDataElement]) -> Tuple[Tensor, Tensor]:
        """(B, C, T, H, W) clips and their (B, N) bool masks."""
        clips = self._clips(inputs)
        if len(clips) != len(data_samples):
            raise ValueError('Masked pre-training takes one clip per sample; '
                             f'got {len(clips)} clips for '
                             f'{len(data_samples)} samples.')
        return clips, self._field(data_samples, 'mask', clips.device)

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

    def loss(self, inputs: Tensor,
             data_samples: List[BaseDataElement]) -> Dict[str, Tensor]:
        """Pre-training losses of a batch.

        Args:
            inputs (Tensor): (B, 1, C, T, H, W) normalised clips.
            data_samples (list[BaseDataElement]): with ``mask`` (N,).

        Returns:
            dict[str, Tensor]: The head's losses.
        """
        clips, mask = self._clips_and_mask(inputs, data_samples)
        latent = self.backbone(clips, mask)  # (B, N_visible, C)
        x = self.neck(latent, mask)  # (B, N_masked, C_dec)
        target = self.target_generator(clips)  # (B, N, D)
        return self.head.loss(x, target, mask)

    def predict(self, inputs: Tensor,
                data_samples: List[BaseDataElement]) -> List[BaseDataElement]:
        """Predictions beside their targets for the masked tokens.

        Adds ``pred`` and ``target`` (N_masked, D) to every data sample.
        """
        clips, mask = self._clips_and_mask(inputs, data_samples)
        pred = self.head(self.neck(self.backbone(clips, mask), mask))
        target = self.target_generator(clips)
        for i, sample in enumerate(data_samples):
            sample.set_field(pred[i].float(), 'pred')
            sample.set_field(target[i][mask[i]].float(), 'target')
        return data_samples

"""Masked video pre-training: one class for VideoMAE, MME and MotionMAE."""
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmaction.registry import MODELS
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch import Tensor, nn

from ..utils import build_sized, stack_field

Branch = Tuple[nn.Module, nn.Module, nn.Module]  # decoder, head, target


@MODELS.register_module()
class MaskedVideoPretrainer(BaseModel):
    """Encoder on visible tokens; an appearance and an optional motion
    target, each with its decoder and head, on the masked tokens.

    The methods differ only in the parts a config lists: VideoMAE has a
    pixel target and head; MME adds a trajectory target and head on the
    same decoder (``motion_neck=None``) with HOG as the appearance target;
    MotionMAE adds frame differences, on a decoder of their own
    (``motion_neck``) or on the shared one. Every target generator gives
    ``(target, weight or None)`` (:class:`~.TargetGenerator`), every head
    has ``loss(x, target, mask, weight)``.

    Sizes have one source: generators take ``patch_size``,
    ``tubelet_size`` and the token grid from the backbone, decoders their
    token count and input width from the backbone, heads their input width
    from their decoder and their output sizes from their target generator
    (:func:`~.build_sized`), so configs leave them out; a config value that
    contradicts them is an error naming both. The pipeline's masks and
    targets are checked against the backbone's grid on every batch.

    Args:
        backbone (dict): Encoder, e.g. ``MaskedMotionEncoder``.
        neck (dict): Decoder of the appearance target, e.g.
            ``MMEDecoder``.
        head (dict): Head of the appearance target, e.g.
            ``MaskedRegressionHead``.
        target_generator (dict): Appearance target, e.g.
            ``PixelTargetGenerator`` or ``HOGGenerator``.
        motion_generator (dict, optional): Motion target, e.g.
            ``TrajectoryTargetGenerator``. Defaults to None.
        motion_head (dict, optional): Its head; required with a motion
            target. Defaults to None.
        motion_neck (dict, optional): Its decoder. Defaults to None: the
            motion head reads the appearance decoder.
        data_preprocessor (dict, optional): Defaults to
            ``ActionDataPreprocessor`` with format ``NCTHW``.
        init_cfg (dict, optional): Initialisation.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 target_generator: dict,
                 motion_generator: Optional[dict] = None,
                 motion_head: Optional[dict] = None,
                 motion_neck: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(
                type='ActionDataPreprocessor', format_shape='NCTHW')
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if bool(motion_generator) != bool(motion_head) or (
                motion_neck and not motion_generator):
            raise ValueError(
                'model.motion_generator and model.motion_head go together '
                '(with model.motion_neck optional): set both (a motion '
                'target) or none of the three.')
        self.backbone = MODELS.build(backbone)
        self.neck = self._build_decoder(neck, 'neck')
        self.target_generator = self._build_generator(target_generator,
                                                      'target_generator')
        self.head = self._build_head(head, 'head', self.neck,
                                     self.target_generator)
        self.motion_neck = self.motion_generator = self.motion_head = None
        if motion_generator:
            if motion_neck:
                self.motion_neck = self._build_decoder(motion_neck,
                                                       'motion_neck')
            self.motion_generator = self._build_generator(
                motion_generator, 'motion_generator')
            self.motion_head = self._build_head(
                motion_head, 'motion_head', self.motion_neck or self.neck,
                self.motion_generator)

    def _build_decoder(self, cfg: dict, name: str) -> nn.Module:
        """A decoder over the encoder's tokens."""
        return build_sized(
            cfg,
            name,
            num_tokens=(self.backbone.num_tokens, 'model.backbone'),
            in_channels=(self.backbone.embed_dims, 'model.backbone'))

    def _build_generator(self, cfg: dict, name: str) -> nn.Module:
        """A target generator on the backbone's token geometry."""
        return build_sized(
            cfg,
            name,
            patch_size=(self.backbone.patch_size,
                        'model.backbone.patch_size'),
            tubelet_size=(self.backbone.tubelet_size,
                          'model.backbone.tubelet_size'),
            token_grid=(self.backbone.token_grid, 'model.backbone'))

    @staticmethod
    def _build_head(cfg: dict, name: str, decoder: nn.Module,
                    generator: nn.Module) -> nn.Module:
        """A head on ``decoder``'s output, sized for ``generator``."""
        source = f'its target generator ({type(generator).__name__})'
        return build_sized(
            cfg,
            name,
            in_channels=(decoder.embed_dims, 'its decoder'),
            **{key: (value, source)
               for key, value in generator.head_sizes().items()})

    @property
    def branches(self) -> List[Branch]:
        """(decoder, head, target generator) of every target."""
        branches = [(self.neck, self.head, self.target_generator)]
        if self.motion_generator is not None:
            branches.append((self.motion_neck or self.neck, self.motion_head,
                             self.motion_generator))
        return branches

    @property
    def sample_keys(self) -> Tuple[str, ...]:
        """Data-sample fields the model reads: the mask and what its target
        generators declare."""
        keys = ['mask']
        for _, _, generator in self.branches:
            keys += [k for k in generator.sample_keys if k not in keys]
        return tuple(keys)

    @staticmethod
    def _clips(inputs: Tensor) -> Tensor:
        """(B, clips, C, T, H, W) or (B, C, T, H, W) -> (B', C, T, H, W)."""
        return inputs.flatten(0, 1) if inputs.dim() == 6 else inputs

    def _clips_and_mask(
            self, inputs: Tensor,
            data_samples: List[BaseDataElement]) -> Tuple[Tensor, Tensor]:
        """(B, C, T, H, W) clips and their (B, N) bool masks, checked."""
        clips = self._clips(inputs)
        if len(clips) != len(data_samples):
            raise ValueError('Masked pre-training takes one clip per sample; '
                             f'got {len(clips)} clips for '
                             f'{len(data_samples)} samples.')
        mask = stack_field(data_samples, 'mask', clips.device,
                           'the model (its encoder)')
        if mask.shape[1] != self.backbone.num_tokens:
            raise ValueError(
                f'The pipeline\'s masks cover {mask.shape[1]} tokens, the '
                f'backbone has {self.backbone.num_tokens} '
                f'({" x ".join(map(str, self.backbone.token_grid))}): set '
                'the mask step\'s patch_size and tubelet_size to '
                'model.backbone\'s, and crop the clips to its img_size and '
                'num_frames.')
        return clips, mask.bool()

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

    def encode(self, clips: Tensor, mask: Tensor) -> Tensor:
        """(B, N_visible, C) features the decoders read."""
        return self.backbone(clips, mask)

    def decode(self, latent: Tensor,
               mask: Tensor) -> List[Tuple[Tensor, nn.Module, nn.Module]]:
        """Decoder features of every target, a shared decoder run once.

        Returns:
            list[tuple]: (B, N_masked, D) features, head and target
            generator of each target.
        """
        features = {}
        for decoder, _, _ in self.branches:
            if decoder not in features:
                features[decoder] = decoder(latent, mask)
        return [(features[decoder], head, generator)
                for decoder, head, generator in self.branches]

    def _targets(self, generator: nn.Module, clips: Tensor,
                 data_samples: List[BaseDataElement]
                 ) -> Tuple[Tensor, Optional[Tensor]]:
        """A generator's (target, weight), checked against the grid."""
        target, weight = generator(clips, data_samples)
        if target.shape[1] != self.backbone.num_tokens:
            raise ValueError(
                f'{type(generator).__name__} gives targets of '
                f'{target.shape[1]} tokens, the backbone has '
                f'{self.backbone.num_tokens}: the pipeline and the model '
                'disagree on the clip size or the tubelet size.')
        return target, weight

    def loss(self, inputs: Tensor,
             data_samples: List[BaseDataElement]) -> Dict[str, Tensor]:
        """Pre-training losses of a batch.

        Args:
            inputs (Tensor): (B, 1, C, T, H, W) normalised clips.
            data_samples (list[BaseDataElement]): With ``mask`` (N,) and
                the fields the target generators read.

        Returns:
            dict[str, Tensor]: Every head's loss, and :meth:`extra_losses`.
        """
        clips, mask = self._clips_and_mask(inputs, data_samples)
        latent = self.encode(clips, mask)  # (B, N_visible, C)
        losses = {}
        for x, head, generator in self.decode(latent, mask):
            target, weight = self._targets(generator, clips, data_samples)
            losses.update(head.loss(x, target, mask, weight))
        losses.update(self.extra_losses(clips, mask, latent))
        return losses

    def extra_losses(self, clips: Tensor, mask: Tensor,
                     latent: Tensor) -> Dict[str, Tensor]:
        """Losses beside the targets' (none here)."""
        return {}

    @torch.no_grad()
    def predict(self, inputs: Tensor,
                data_samples: List[BaseDataElement]) -> List[BaseDataElement]:
        """Predictions beside their targets, for inspection.

        Adds to every data sample, for its masked tokens in ascending order
        and each head's ``loss_name`` (e.g. ``traj``): ``pred_<name>`` and
        ``target_<name>`` (N_masked, ...), and ``weight_<name>``
        (N_masked,) where the target generator weights tokens.
        """
        clips, mask = self._clips_and_mask(inputs, data_samples)
        latent = self.encode(clips, mask)
        for x, head, generator in self.decode(latent, mask):
            pred = _full_precision(head.predict(x))
            target, weight = self._targets(generator, clips, data_samples)
            name = head.loss_name
            for i, sample in enumerate(data_samples):
                sample.set_field(pred[i], f'pred_{name}')
                sample.set_field(
                    _full_precision(target[i][mask[i]]), f'target_{name}')
                if weight is not None:
                    sample.set_field(weight[i][mask[i]], f'weight_{name}')
        return data_samples


def _full_precision(values: Tensor) -> Tensor:
    """float32 for floating values (numpy has no bfloat16), else as is."""
    return values.float() if values.is_floating_point() else values

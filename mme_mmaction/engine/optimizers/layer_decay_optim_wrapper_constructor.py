"""Layer-wise learning-rate decay for ViT fine-tuning (docs/method.md §7)."""
from typing import Callable, Dict, List, Optional, Tuple

from mmaction.registry import OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor
from torch import nn

from mme_mmaction.models.utils import vit_layer_depth

BACKBONE_PREFIX = 'backbone.'
# As in VideoMAE / MAE fine-tuning: embeddings and tokens are not decayed.
DEFAULT_NO_DECAY_NAMES = ('pos_embed', 'cls_token', 'mask_token')

LayerDepthFn = Callable[[str], Tuple[int, int]]


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LayerDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Layer-wise lr decay and VideoMAE's weight-decay exemptions.

    Each trainable parameter gets ``lr = base_lr * rate ** (L - 1 - i)``,
    where ``i`` is its layer id and ``L`` the number of layers of the
    model's ``backbone``: ``backbone.get_layer_depth(name, 'backbone.')``
    when the backbone has that method (``MaskedMotionEncoder``, mmpretrain's
    ViTs), else the ViT rule by name over ``backbone.blocks``
    (:func:`~mme_mmaction.models.utils.vit_layer_depth`, e.g. MMAction2's
    ``VisionTransformer``), which ``MaskedMotionEncoder`` applies too:
    ``patch_embed``, ``pos_embed``, ``cls_token`` and ``mask_token`` are
    layer 0, ``blocks.i`` layer i + 1, the rest the last layer, as in
    MMAction2's ``get_layer_id_for_vit``.
    Parameters outside the backbone (the head) are in the last layer: they
    keep the base lr. Unlike MMAction2's
    ``LearningRateDecayOptimizerConstructor``, it does not depend on the
    backbone's class name, needs no ``num_layers`` and its top layer is not
    decayed.

    Weight decay is 0 for 1-D parameters (norms, biases, ``q_bias``),
    ``*.bias``, ``pos_embed``, ``cls_token``, ``mask_token`` and the names in
    ``no_decay_names``; the optimizer's ``weight_decay`` elsewhere. Frozen
    parameters (``requires_grad=False``) are left out, so a linear probe
    optimises only its head. Parameters sharing an (lr, weight decay) pair
    form one param group, which also records its ``lr_scale``; groups are
    ordered by decreasing lr so that the ``lr`` mmengine logs (the first
    group's) is the head's.

    mmengine's schedulers scale every group's own ``initial_lr``, so lr
    ratios between layers hold throughout. For a cosine schedule with a
    minimum lr, use ``CosineAnnealingLR(eta_min_ratio=min_lr / base_lr)``:
    an absolute ``eta_min`` is the same for all groups and would raise the
    low layers' final lr (VideoMAE scales the minimum too).

    ``paramwise_cfg`` keys:

    - ``layer_decay_rate`` (float, required): decay per layer, in (0, 1]; the
      paper uses 0.75 (docs/method.md §7). (MMAction2's constructor calls it
      ``decay_rate``.)
    - ``no_decay_names`` (list[str], optional): more parameter names, matched
      against the last component of the dotted name, without weight decay.

    Example:
        >>> optim_wrapper = dict(
        ...     type='OptimWrapper',
        ...     constructor='LayerDecayOptimWrapperConstructor',
        ...     optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999),
        ...                    weight_decay=0.05),
        ...     paramwise_cfg=dict(layer_decay_rate=0.75))

    Args:
        optim_wrapper_cfg (dict): Optimizer wrapper config with its
            ``optimizer``, as for ``DefaultOptimWrapperConstructor``.
        paramwise_cfg (dict): ``layer_decay_rate`` and optionally
            ``no_decay_names``.
    """

    ALLOWED_KEYS = ('layer_decay_rate', 'no_decay_names')

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        super().__init__(optim_wrapper_cfg, paramwise_cfg)
        unknown = sorted(set(self.paramwise_cfg) - set(self.ALLOWED_KEYS))
        if unknown:
            # Silently ignoring e.g. MMAction2's ``decay_rate`` would train
            # without the decay the config asked for.
            raise ValueError(
                f'LayerDecayOptimWrapperConstructor: unknown paramwise_cfg '
                f'keys {unknown}; it accepts {list(self.ALLOWED_KEYS)}.')
        # Without it the parent's __call__ would skip add_params and build
        # one undecayed group.
        if 'layer_decay_rate' not in self.paramwise_cfg:
            raise ValueError('LayerDecayOptimWrapperConstructor needs '
                             'paramwise_cfg=dict(layer_decay_rate=...).')
        self.layer_decay_rate = float(self.paramwise_cfg['layer_decay_rate'])
        if not 0 < self.layer_decay_rate <= 1:
            raise ValueError('layer_decay_rate must be in (0, 1], got '
                             f'{self.layer_decay_rate}.')
        self.no_decay_names = set(DEFAULT_NO_DECAY_NAMES).union(
            self.paramwise_cfg.get('no_decay_names', ()))

    @staticmethod
    def _layer_depth_fn(model: nn.Module) -> LayerDepthFn:
        """How to find the layer of a parameter of ``model``."""
        backbone = getattr(model, 'backbone', None)
        if backbone is not None and hasattr(backbone, 'get_layer_depth'):
            return lambda name: backbone.get_layer_depth(
                name, BACKBONE_PREFIX)
        blocks = getattr(backbone, 'blocks', None)
        if isinstance(blocks, (nn.ModuleList, nn.Sequential)):
            return lambda name: vit_layer_depth(name, len(blocks),
                                                BACKBONE_PREFIX)
        raise TypeError(
            'LayerDecayOptimWrapperConstructor needs a model with a '
            '`backbone` that has `get_layer_depth(param_name, prefix)` or a '
            '`blocks` ModuleList (ViT-style names); got '
            f'{type(backbone).__name__} as `{type(model).__name__}.backbone`.')

    def _no_decay(self, name: str, param: nn.Parameter) -> bool:
        return (param.ndim <= 1 or name.endswith('.bias')
                or name.rsplit('.', 1)[-1] in self.no_decay_names)

    def add_params(self, params: List[dict], module: nn.Module,
                   **kwargs) -> None:
        """Add the trainable parameters of ``module``, grouped, to ``params``.

        Args:
            params (list[dict]): Param groups, extended in place.
            module (nn.Module): The whole model (with a ``backbone``).
            **kwargs: Ignored; the parent's recursion arguments.
        """
        layer_depth = self._layer_depth_fn(module)
        groups: Dict[Tuple[float, Optional[float]], dict] = {}
        num_layers = None
        num_frozen = 0
        for name, param in module.named_parameters():
            if not param.requires_grad:
                num_frozen += 1
                continue
            layer_id, num_layers = layer_depth(name)
            if not name.startswith(BACKBONE_PREFIX):
                layer_id = num_layers - 1
            scale = self.layer_decay_rate**(num_layers - 1 - layer_id)
            weight_decay = 0. if self._no_decay(name, param) else self.base_wd
            group = groups.get((scale, weight_decay))
            if group is None:
                group = dict(params=[], lr=self.base_lr * scale,
                             lr_scale=scale)
                # Without an optimizer weight_decay, keep the optimizer's
                # default for decayed parameters.
                if weight_decay is not None:
                    group['weight_decay'] = weight_decay
                groups[(scale, weight_decay)] = group
            group['params'].append(param)

        ordered = sorted(
            groups.values(),
            key=lambda g: (-g['lr_scale'], -g.get('weight_decay', 1.)))
        params.extend(ordered)
        scales = [g['lr_scale'] for g in ordered]
        print_log(
            f'Layer-wise lr decay {self.layer_decay_rate} over {num_layers} '
            f'layers: {len(ordered)} param groups, lr scales '
            f'{min(scales, default=1.):.4g} to {max(scales, default=1.):.4g}; '
            f'{num_frozen} frozen parameters left out.',
            logger='current')

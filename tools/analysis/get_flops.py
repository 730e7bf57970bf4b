"""FLOPs and parameters of a pre-training or recognition model.

For a masked pre-training config the count covers what one training step
runs forward: the encoder on the visible tokens only (and MAM2's
regressor), every decoder once and every head (target generators are not
counted). For a recognizer it covers the
backbone and the head on one clip.

Example:
    python tools/analysis/get_flops.py configs/mme/vitb_k400.py
"""
import argparse
import math
from typing import Any, List, Optional, Tuple

import torch
from mmengine.analysis import FlopAnalyzer, parameter_count
from mmengine.analysis.jit_handles import get_shape
from mmengine.config import Config
from mmengine.registry import init_default_scope
from torch import Tensor, nn

import mme_mmaction  # noqa: F401  (registers the plugin)
from mmaction.registry import MODELS
from mme_mmaction.models import MaskedVideoPretrainer
from mme_mmaction.launch import add_cfg_options, load_config


class PretrainStep(nn.Module):
    """Encoder on visible tokens, decoders, heads: one pre-training
    forward, as ``MaskedVideoPretrainer.loss`` runs it."""

    def __init__(self, model: MaskedVideoPretrainer) -> None:
        super().__init__()
        self.model = model

    def forward(self, clip: Tensor, mask: Tensor) -> List[Tensor]:
        latent = self.model.encode(clip, mask)
        return [head(x) for x, head, _ in self.model.decode(latent, mask)]


def sdpa_flops(inputs: List[Any], outputs: List[Any]) -> int:
    """Multiply-adds of fused attention: Q K^T and the weighted sum of V.

    Counted as in fvcore (one multiply-add is one FLOP), like the matmuls
    of MMAction2's unfused attention.
    """
    query, key = get_shape(inputs[0]), get_shape(inputs[1])
    return 2 * math.prod(query) * key[-2]


def count(model: nn.Module, inputs: tuple) -> float:
    """FLOPs of ``model(*inputs)``, fused attention included."""
    analyzer = FlopAnalyzer(model, inputs).set_op_handle(
        'aten::scaled_dot_product_attention', sdpa_flops)
    analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    return analyzer.total()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config file')
    parser.add_argument('--mask-ratio', type=float, default=None,
                        help='default: the config\'s TubeMaskGenerator')
    add_cfg_options(parser)
    return parser.parse_args()


def clip_shape(cfg: Config) -> tuple:
    backbone = cfg.model.backbone
    size = backbone.get('img_size', 224)
    return (1, 3, backbone.get('num_frames', 16), size, size)


def config_mask_ratio(cfg: Config) -> float:
    """The mask ratio of the config's mask step (through dataset wrappers).

    Raises:
        ValueError: If the training pipeline has no mask step.
    """
    dataset = cfg.train_dataloader.dataset
    while 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset['dataset']
    for step in dataset.get('pipeline', []):
        if step['type'] in ('TubeMaskGenerator', 'SliceRandomMaskGenerator'):
            return step.get('mask_ratio', 0.7)
    raise ValueError('The config has no mask step: pass --mask-ratio.')


def counted_mask(model: MaskedVideoPretrainer, ratio: float) -> Tensor:
    """A (1, N) bool tube mask with ``ratio`` of every slice masked."""
    t, h, w = model.backbone.token_grid
    spatial = torch.zeros(h * w, dtype=torch.bool)
    spatial[:int(ratio * h * w)] = True
    return spatial.repeat(t)[None]


def forward_flops(cfg: Config, model: nn.Module,
                  mask_ratio: Optional[float] = None) -> Tuple[float, str]:
    """FLOPs of one clip's training forward of a config's model.

    Args:
        cfg (Config): The config (clip size, mask ratio).
        model (nn.Module): Its model, built.
        mask_ratio (float, optional): Overrides the config's.

    Returns:
        tuple[float, str]: The FLOPs and what was counted.
    """
    clip = torch.randn(clip_shape(cfg))
    if not isinstance(model, MaskedVideoPretrainer):
        return (count(model, (clip[None], None, 'tensor')),
                f'recognition forward, one clip {tuple(clip.shape)}')
    ratio = mask_ratio if mask_ratio is not None else config_mask_ratio(cfg)
    mask = counted_mask(model, ratio)
    return (count(PretrainStep(model), (clip, mask)),
            f'pre-training forward, {int((~mask).sum())} visible of '
            f'{mask.numel()} tokens (mask ratio {ratio}), input '
            f'{tuple(clip.shape)}')


def main() -> None:
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    cfg.model.backbone.pop('init_cfg', None)
    model = MODELS.build(cfg.model).eval()
    flops, what = forward_flops(cfg, model, args.mask_ratio)
    print(f'{args.config}: {what}')
    params = parameter_count(model)['']
    print(f'FLOPs: {flops / 1e9:.4g} G  Parameters: {params / 1e6:.4g} M '
          f'(encoder {parameter_count(model.backbone)[""] / 1e6:.1f} M)')


if __name__ == '__main__':
    main()

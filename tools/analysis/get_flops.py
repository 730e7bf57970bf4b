"""FLOPs and parameters of a pre-training or recognition model.

For a masked pre-training config the count covers what one training step
runs forward: the encoder on the visible tokens only, the decoder and the
head (target generators are not counted). For a recognizer it covers the
backbone and the head on one clip.

Example:
    python tools/analysis/get_flops.py configs/mme/vitb_k400.py
"""
import argparse
import math
from typing import Any, List

import torch
from mmengine.analysis import FlopAnalyzer, parameter_count
from mmengine.analysis.jit_handles import get_shape
from mmengine.config import Config
from mmengine.registry import init_default_scope
from torch import Tensor, nn

import mme_mmaction  # noqa: F401  (registers the plugin)
from mmaction.registry import MODELS
from mme_mmaction.models import MaskedVideoPretrainer


class PretrainStep(nn.Module):
    """Encoder on visible tokens, decoder, head: one pre-training forward."""

    def __init__(self, model: MaskedVideoPretrainer) -> None:
        super().__init__()
        self.model = model

    def forward(self, clip: Tensor, mask: Tensor):
        feats = self.model.neck(self.model.backbone(clip, mask), mask)
        return self.model.head(feats)


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
    return parser.parse_args()


def clip_shape(cfg: Config) -> tuple:
    backbone = cfg.model.backbone
    size = backbone.get('img_size', 224)
    return (1, 3, backbone.get('num_frames', 16), size, size)


def config_mask_ratio(cfg: Config) -> float:
    pipeline = cfg.train_dataloader.dataset.pipeline
    for step in pipeline:
        if step['type'] == 'TubeMaskGenerator':
            return step.get('mask_ratio', 0.7)
    raise ValueError('The config has no TubeMaskGenerator: pass --mask-ratio.')


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    cfg.model.backbone.pop('init_cfg', None)
    model = MODELS.build(cfg.model).eval()
    clip = torch.randn(clip_shape(cfg))
    if isinstance(model, MaskedVideoPretrainer):
        ratio = (args.mask_ratio if args.mask_ratio is not None else
                 config_mask_ratio(cfg))
        t, h, w = model.backbone.token_grid
        spatial = torch.zeros(h * w, dtype=torch.bool)
        spatial[:int(ratio * h * w)] = True
        mask = spatial.repeat(t)[None]
        flops = count(PretrainStep(model), (clip, mask))
        what = (f'pre-training forward, {int((~mask).sum())} visible of '
                f'{mask.numel()} tokens (mask ratio {ratio})')
    else:
        flops = count(model, (clip[None], None, 'tensor'))
        what = 'recognition forward, one clip'
    print(f'{args.config}: {what}, input {tuple(clip.shape)}')
    params = parameter_count(model)['']
    print(f'FLOPs: {flops / 1e9:.4g} G  Parameters: {params / 1e6:.4g} M '
          f'(encoder {parameter_count(model.backbone)[""] / 1e6:.1f} M)')


if __name__ == '__main__':
    main()

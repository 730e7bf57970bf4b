"""Convert a pre-training or fine-tuned checkpoint to MMAction2's layout.

Sources: the MME release's and VideoMAE's pre-training checkpoints
(``ckpt['model']``, ``encoder.*`` ...), their fine-tuned (DeepSpeed)
checkpoints (``ckpt['module']``), and ours (``ckpt['state_dict']``: an MME
pre-training checkpoint or a recognizer, e.g. for another clip size).
Targets: ``recognizer`` (``Recognizer3D`` + stock ``VisionTransformer`` +
a linear ``cls_head``) or ``mme`` (our pre-training model). The result is
``{'state_dict': ..., 'meta': ...}`` for mmengine's ``load_checkpoint`` or
``init_cfg=dict(type='Pretrained', ...)``.

Every source key that could not be mapped, every key left out on purpose
and, with ``--config``, every key the target model expects but does not get
is printed (see :mod:`mme_mmaction.utils.checkpoint_conversion`). Sources
are loaded with ``weights_only=True``; files that need a full unpickling
(the MME release's hold an ``argparse.Namespace``), which runs whatever code
they contain, load only with ``--trust-source``. DST is written atomically
and may not be SRC.

Example:
    python tools/convert_checkpoint.py mme_k400_1600e.pth vit-b_mme.pth \\
        --to recognizer --num-frames 16 --img-size 224
"""
import argparse
import os.path as osp
import sys
from typing import Dict, Optional, Tuple

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from torch import Tensor

import mme_mmaction  # noqa: F401  (before mmaction.models: compat fixes)
from mmaction.registry import MODELS
from mme_mmaction.motion.storage import atomic_write
from mme_mmaction.utils import (convert_state_dict, extract_state_dict,
                                load_checkpoint_file)

# Target clip size and tokenisation; with --config, the config's.
DEFAULT_GRID_ARGS = dict(
    num_frames=16, img_size=224, patch_size=16, tubelet_size=2)


def parse_args(argv: Optional[list] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='source checkpoint')
    parser.add_argument('dst', help='converted checkpoint to write')
    parser.add_argument(
        '--to',
        required=True,
        choices=('recognizer', 'mme'),
        help='target layout: an MMAction2 recognizer or MME pre-training')
    for name, default in DEFAULT_GRID_ARGS.items():
        parser.add_argument(
            '--' + name.replace('_', '-'),
            type=int,
            help=f'{name.replace("_", " ")} of the target model (default '
            f'{default}, or the --config model\'s)')
    parser.add_argument(
        '--src-num-frames',
        type=int,
        help='frames of the source\'s position table, if it has one and '
        'it cannot be told from its size')
    parser.add_argument(
        '--src-img-size',
        type=int,
        help='image size of the source\'s position table (likewise)')
    parser.add_argument(
        '--keep-norm',
        action='store_true',
        help='keep a pre-training encoder\'s final norm in a recognizer '
        '(for use_mean_pooling=False)')
    parser.add_argument(
        '--config',
        help='config of the target model: its clip size is used and the '
        'keys it expects but does not get are listed')
    parser.add_argument(
        '--trust-source',
        action='store_true',
        help='unpickle SRC in full if it holds more than tensors and '
        'mmengine\'s objects (the MME release\'s checkpoints do); this runs '
        'any code the file contains, so only for files you trust')
    parser.add_argument(
        '--strict',
        action='store_true',
        help='fail (exit 1, nothing written) if a source key could not be '
        'mapped or a converted key does not fit the --config model')
    return parser.parse_args(argv)


def build_target(config: str) -> Tuple[Dict[str, Tensor], Tuple[int, ...]]:
    """State dict and token grid of the model a config describes."""
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    model = MODELS.build(cfg.model)
    backbone = model.backbone
    height, width = backbone.grid_size
    frames = backbone.pos_embed.shape[1] // (height * width)
    return model.state_dict(), (frames, height, width)


def grid_from_args(args: argparse.Namespace) -> Tuple[int, int, int]:
    """Target token grid of the clip-size flags (defaults where unset)."""
    size = {name: getattr(args, name) or default
            for name, default in DEFAULT_GRID_ARGS.items()}
    side = size['img_size'] // size['patch_size']
    return size['num_frames'] // size['tubelet_size'], side, side


def source_grid(args: argparse.Namespace,
                grid: Tuple[int, int, int]) -> Optional[Tuple[int, int, int]]:
    """Token grid of the source's position table, if the flags give one."""
    if args.src_num_frames is None and args.src_img_size is None:
        return None
    tubelet = args.tubelet_size or DEFAULT_GRID_ARGS['tubelet_size']
    patch = args.patch_size or DEFAULT_GRID_ARGS['patch_size']
    frames = (args.src_num_frames // tubelet
              if args.src_num_frames else grid[0])
    side = args.src_img_size // patch if args.src_img_size else None
    return (frames, side or grid[1], side or grid[2])


def main(argv: Optional[list] = None) -> int:
    args = parse_args(argv)
    if osp.realpath(args.src) == osp.realpath(args.dst):
        sys.exit(f'error: DST is SRC ({args.src}); write the conversion to '
                 'another file.')
    grid, expected = grid_from_args(args), None
    if args.config:
        expected, config_grid = build_target(args.config)
        clip_flags = [getattr(args, name) for name in DEFAULT_GRID_ARGS]
        if grid != config_grid and any(f is not None for f in clip_flags):
            sys.exit(f'error: the clip-size flags give the token grid {grid}, '
                     f'the config {config_grid}.')
        grid = config_grid
    try:
        checkpoint = load_checkpoint_file(args.src, args.trust_source)
        state, report = convert_state_dict(
            extract_state_dict(checkpoint),
            args.to,
            token_grid=grid,
            src_grid=source_grid(args, grid),
            keep_norm=args.keep_norm,
            expected=expected)
    except ValueError as error:  # not a checkpoint, no state dict, ...
        sys.exit(f'error: {error}')
    print(report.summary())
    if args.strict and (report.unmapped or report.unexpected):
        print('error: --strict and some keys are unmapped or unexpected; '
              f'{args.dst} was not written.', file=sys.stderr)
        return 1
    meta = dict(
        converted_from=args.src,
        source_format=report.source_format,
        target=args.to,
        token_grid=grid,
        unmapped=report.unmapped,
        dropped=report.dropped)
    atomic_write(args.dst,
                 lambda tmp: torch.save({'state_dict': state, 'meta': meta},
                                        tmp))
    print(f'wrote {args.dst} ({len(state)} tensors)')
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""Convert a pre-training or fine-tuned checkpoint to MMAction2's layout.

Sources: the MME release's and VideoMAE's pre-training checkpoints
(``ckpt['model']``, ``encoder.*`` ...), their fine-tuned (DeepSpeed)
checkpoints (``ckpt['module']``), and ours (``ckpt['state_dict']``: an MME
pre-training checkpoint or a recognizer, e.g. for another clip size).
Targets: ``recognizer`` (``Recognizer3D`` + stock ``VisionTransformer`` +
a linear ``cls_head``) or ``mme`` (our pre-training model). The result is
``{'state_dict': ..., 'meta': ...}`` for mmengine's ``load_checkpoint`` or
``init_cfg=dict(type='Pretrained', ...)``.

The source's token grid is read from the checkpoint when it stores one
(our Runner's config in ``meta['cfg']``, a converted checkpoint's
``meta['token_grid']``), else from ``--src-num-frames`` / ``--src-img-size``
or the size of its position table. The target's is ``--config``'s model's,
else the clip-size flags', else the source's, else ViT-B/16's on 16 x 224 x
224 clips; where they differ, the position table is resampled. Both grids,
with where they came from, are printed.

Every source key that could not be mapped, every key left out on purpose
and, with ``--config``, every key the target model expects but does not get
is printed (see :mod:`mme_mmaction.checkpoints.conversion`). Sources
are loaded with ``weights_only=True``; files that need a full unpickling
(the MME release's hold an ``argparse.Namespace``), which runs whatever code
they contain, load only with ``--trust-source``. DST is written atomically
and may not be SRC. Past the parsing of the flags, every error is one line
``error: ...`` on stderr and exit status 1, with DST left as it was.

Example:
    python tools/convert_checkpoint.py mme_k400_1600e.pth vit-b_mme.pth \\
        --to recognizer --num-frames 16 --img-size 224
"""
import argparse
import dataclasses
import errno
import os.path as osp
import sys
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.registry import init_default_scope
from torch import Tensor

import mme_mmaction  # noqa: F401  (before mmaction.models: compat fixes)
from mmaction.registry import MODELS
from mme_mmaction.checkpoints import (ClipSize, ConversionReport, Grid,
                                      UnknownGridError, convert_state_dict,
                                      extract_state_dict, load_checkpoint_file,
                                      stored_clip)
from mme_mmaction.launch import add_cfg_options, load_config
from mme_mmaction.motion.storage import atomic_write

# Recognizer keys that fine-tuning initialises (not needed from SRC).
RECOGNIZER_FRESH = ('backbone.fc_norm.', 'cls_head.')
# The target's clip-size flags, ClipSize's fields.
CLIP_FLAGS = tuple(field.name for field in dataclasses.fields(ClipSize))
# The fix for a failed write of DST, by errno.
_WRITABLE = 'write it to a folder you may write to'
_SPACE = 'free some space or write it to another disk'
WRITE_FIXES = {
    errno.EACCES: _WRITABLE,
    errno.EPERM: _WRITABLE,
    errno.EROFS: _WRITABLE,
    errno.ENOSPC: _SPACE,
    errno.EDQUOT: _SPACE,
    errno.EFBIG: 'raise the file size limit (ulimit -f) or write it to '
    'another disk',
}


def flag(name: str) -> str:
    """The command-line flag of an argument name."""
    return '--' + name.replace('_', '-')


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
    for field in dataclasses.fields(ClipSize):
        parser.add_argument(
            flag(field.name),
            type=int,
            help=f'{field.name.replace("_", " ")} of the target model '
            '(default: the --config model\'s, else the source\'s, else '
            f'{field.default})')
    parser.add_argument(
        '--src-num-frames',
        type=int,
        help='frames of the source\'s position table, if the checkpoint '
        'does not store them and they cannot be told from its size')
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
    add_cfg_options(parser)
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
        'mapped or, with --config, the model misses a key or does not take '
        'a converted one')
    return parser.parse_args(argv)


def check_destination(src: str, dst: str) -> None:
    """Exit before any work if DST cannot be the converted file."""
    if osp.realpath(src) == osp.realpath(dst):
        sys.exit(f'error: DST is SRC ({src}); write the conversion to '
                 'another file.')
    if osp.isdir(dst):
        sys.exit(f'error: {dst}: is a folder; name the file to write, e.g. '
                 f'{osp.join(dst, "converted.pth")}.')


def build_target(config: str, cfg_options: Optional[dict] = None
                 ) -> Tuple[Dict[str, Tensor], Grid]:
    """State dict and token grid of the model a config describes."""
    cfg = load_config(config, cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    model = MODELS.build(cfg.model)
    backbone = model.backbone
    height, width = backbone.grid_size
    frames = backbone.pos_embed.shape[1] // (height * width)
    return model.state_dict(), (frames, height, width)


def target_grid(args: argparse.Namespace,
                source: Optional[Tuple[ClipSize, str]],
                config_grid: Optional[Grid]) -> Tuple[Grid, str]:
    """The target token grid and where it came from.

    Args:
        args (argparse.Namespace): The parsed flags.
        source (tuple[ClipSize, str], optional): The source's stored clip
            size and its origin (:func:`stored_clip`).
        config_grid (tuple[int, int, int], optional): The --config
            model's token grid.

    Returns:
        tuple[tuple[int, int, int], str]: The grid and its origin.

    Raises:
        SystemExit: If clip-size flags contradict the --config model.
    """
    given = {name: getattr(args, name) for name in CLIP_FLAGS
             if getattr(args, name) is not None}
    named = ' '.join(f'{flag(name)} {value}' for name, value in given.items())
    clip = dataclasses.replace(source[0] if source else ClipSize(), **given)
    if config_grid is not None:
        if given and clip.grid != config_grid:
            sys.exit(f'error: the clip-size flags ({named}) give the token '
                     f'grid {clip.grid}, the --config model has '
                     f'{config_grid}; leave them out with --config.')
        return config_grid, f'from the --config model ({args.config})'
    if given:
        rest = "the source's" if source else "ViT-B/16's defaults"
        return clip.grid, f'{clip}, from {named}, the other sizes {rest}'
    if source:
        return clip.grid, "the source's"
    return clip.grid, f'{clip}, the default'


def source_grid(
        args: argparse.Namespace, source: Optional[Tuple[ClipSize, str]],
        grid: Grid) -> Tuple[Optional[Grid], str]:
    """The source's token grid and where it came from.

    ``--src-num-frames`` and ``--src-img-size`` override a stored size; they
    count in the target's tubelets, and the one not given is the target's.

    Args:
        args (argparse.Namespace): The parsed flags.
        source (tuple[ClipSize, str], optional): The source's stored clip
            size and its origin (:func:`stored_clip`).
        grid (tuple[int, int, int]): The target's token grid.

    Returns:
        tuple[tuple[int, int, int] | None, str]: The grid, None if it is to
        be told from the size of the source's position table, and its
        origin.
    """
    if args.src_num_frames is None and args.src_img_size is None:
        if source:
            clip, origin = source
            return clip.grid, f'{clip}, from {origin}'
        return None, 'not stored: told from its position table, if any'
    tubelet = args.tubelet_size or ClipSize.tubelet_size
    patch = args.patch_size or ClipSize.patch_size
    frames = args.src_num_frames // tubelet if args.src_num_frames else grid[0]
    side = args.src_img_size // patch if args.src_img_size else None
    return ((frames, side or grid[1], side or grid[2]),
            'from --src-num-frames / --src-img-size')


def strict_failures(report: ConversionReport, target: str) -> List[str]:
    """What makes --strict fail, one entry per kind, naming every key.

    A recognizer's ``fc_norm`` and classifier are trained from scratch when
    a pre-trained encoder is fine-tuned, so their absence is no failure.
    """
    fresh = RECOGNIZER_FRESH if target == 'recognizer' else ()
    found = dict(unmapped=report.unmapped or [],
                 missing=[key for key in report.missing or []
                          if not key.startswith(fresh)],
                 unexpected=report.unexpected or [])
    return [
        f'{len(keys)} {name} key{"s" * (len(keys) > 1)} ({", ".join(keys)})'
        for name, keys in found.items() if keys
    ]


def save(checkpoint: dict, path: str) -> None:
    """``torch.save`` that fails with the OSError of a failed write.

    Through a Python file object: torch's own file writer reports a failed
    write (a full disk) as a RuntimeError without the cause, and its zip
    writer, on closing, raises a RuntimeError over the OSError.
    """
    with open(path, 'wb') as file:
        try:
            torch.save(checkpoint, file)
        except RuntimeError as error:
            if isinstance(error.__context__, OSError):
                raise error.__context__ from None
            raise


def write_error(dst: str, error: OSError) -> str:
    """The one line for a failed write of DST, with the fix.

    Args:
        dst (str): The destination, named instead of the temporary the
            error may name.
        error (OSError): What :func:`atomic_write` raised.

    Returns:
        str: ``error: DST: <what>; nothing was written (<fix>).``
    """
    if error.errno in (errno.EEXIST, errno.ENOTDIR):
        what = 'a folder on its path is a file'  # from os.makedirs
    else:
        what = error.strerror or str(error)
    fix = WRITE_FIXES.get(error.errno)
    return (f'error: {dst}: {what}; nothing was written' +
            (f' ({fix}).' if fix else '.'))


def main(argv: Optional[list] = None) -> int:
    args = parse_args(argv)
    check_destination(args.src, args.dst)
    expected = config_grid = None
    if args.config:
        expected, config_grid = build_target(args.config, args.cfg_options)
    try:
        checkpoint = load_checkpoint_file(args.src, args.trust_source)
    except ValueError as error:  # not a checkpoint, ...
        sys.exit(f'error: {error}')
    try:
        state = extract_state_dict(checkpoint)
        stored = stored_clip(checkpoint, state)
        grid, target_origin = target_grid(args, stored, config_grid)
        src_grid, source_origin = source_grid(args, stored, grid)
        print('source token grid: ' +
              (f'{src_grid}, ' if src_grid else '') + source_origin)
        print(f'target token grid: {grid}, {target_origin}')
        state, report = convert_state_dict(
            state,
            args.to,
            token_grid=grid,
            src_grid=src_grid,
            keep_norm=args.keep_norm,
            expected=expected)
    except UnknownGridError as error:
        sys.exit(f'error: {args.src}: {error.problem}; pass '
                 '--src-num-frames and --src-img-size (its clip size).')
    except ValueError as error:  # no state dict, no encoder, ...
        sys.exit(f'error: {args.src}: {error}')
    print(report.summary())
    failures = strict_failures(report, args.to) if args.strict else []
    if failures:
        print(f'error: --strict: {"; ".join(failures)}; {args.dst} was not '
              'written.', file=sys.stderr)
        return 1
    meta = dict(
        converted_from=args.src,
        source_format=report.source_format,
        target=args.to,
        token_grid=grid,
        unmapped=report.unmapped,
        dropped=report.dropped)
    try:
        atomic_write(args.dst,
                     lambda tmp: save({'state_dict': state, 'meta': meta},
                                      tmp))
    except OSError as error:
        sys.exit(write_error(args.dst, error))
    print(f'wrote {args.dst} ({len(state)} tensors)')
    return 0


if __name__ == '__main__':
    sys.exit(main())

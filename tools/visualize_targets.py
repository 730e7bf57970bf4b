"""Draw the pre-training targets of Masked Motion Encoding for one video.

Runs a pre-training pipeline on one clip of a video and writes pictures of
what the model is asked to predict: the sampled frames, optical flow,
trajectories (a PNG and a GIF over the tubelets), the pipeline's mask, the
tube mask beside the two motion-guided masks (``masks.png``: their visible
patches move with the content) and the HOG of one frame; with a checkpoint
also the model's predictions beside the targets.

Without ``--config`` a built-in pipeline that suits any video is used: 16
frames with stride 4 (a smaller stride, then fewer frames, if the video is
short), resized to a short side of about 224 with both sides multiples of
16, trajectories of 4 raw steps and a 0.7 tube mask. With ``--config`` the
config's training pipeline is used, with ``SampleFrames`` replaced by fixed
frame indices from ``--start`` so that runs are reproducible.

Example:
    python tools/visualize_targets.py video.mp4 --out vis --start 76
    python tools/visualize_targets.py video.mp4 --out vis \\
        --config configs/mme/vit-tiny_toy.py \\
        --checkpoint work_dirs/vit-tiny_toy/epoch_30.pth
"""
import argparse
import sys
from pathlib import Path
from typing import List, Optional

from mmengine.registry import init_default_scope

import mme_mmaction  # noqa: F401  (before mmaction.models: compat fixes)
from mmaction.registry import MODELS
from mme_mmaction.launch import add_cfg_options, load_config
from mme_mmaction.visualization import (draw_flow, draw_frames, draw_hog,
                                        draw_mask, draw_mask_comparison,
                                        draw_predictions,
                                        draw_trajectories, predict,
                                        sample_clip)


def visualize(video: str,
              out_dir: str,
              config: Optional[str] = None,
              checkpoint: Optional[str] = None,
              start: int = 0,
              seed: int = 0,
              cfg_options: Optional[dict] = None) -> List[str]:
    """Draw one clip's targets (and predictions) into ``out_dir``.

    Args:
        video (str): Video path.
        out_dir (str): Folder for the pictures; created if needed.
        config (str, optional): Config whose training pipeline (and model)
            is used; a built-in pipeline without one.
        checkpoint (str, optional): Weights of the config's model; adds
            ``predictions.png``.
        start (int): First raw frame of the clip. Defaults to 0.
        seed (int): Seed of random crops and the mask. Defaults to 0.
        cfg_options (dict, optional): Overrides merged into the config.

    Returns:
        list[str]: The files written.
    """
    if not Path(video).is_file():
        raise FileNotFoundError(f'No video at {video}.')
    if start < 0:
        raise ValueError(f'start must be a frame index >= 0, got {start}.')
    if checkpoint is not None and config is None:
        raise ValueError('A checkpoint needs the config of its model.')
    init_default_scope('mmaction')
    cfg = load_config(config, cfg_options) if config else None
    clip = sample_clip(video, cfg, start, seed)
    generator = MODELS.build(
        cfg.model.target_generator if cfg else dict(type='HOGGenerator'))

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: List[str] = []
    draw_frames(clip, out / 'frames.png', written)
    draw_flow(video, clip, out / 'flow.png', written)
    draw_trajectories(clip, out / 'trajectories.png',
                      out / 'trajectories.gif', written)
    draw_mask(clip, out / 'mask.png', written)
    draw_mask_comparison(clip, seed, out / 'masks.png', written)
    draw_hog(clip, generator, out / 'hog.png', written)
    if checkpoint is not None:
        draw_predictions(clip, predict(cfg, checkpoint, clip),
                         out / 'predictions.png', written)
    return written


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('video', help='video file')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument(
        '--config', help='config whose training pipeline and model are used')
    add_cfg_options(parser)
    parser.add_argument(
        '--checkpoint', help='weights of the config\'s model: draw its '
        'predictions too')
    parser.add_argument(
        '--start', type=int, default=0, help='first raw frame of the clip')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of crops and the mask')
    args = parser.parse_args()
    if args.checkpoint and not args.config:
        parser.error('--checkpoint needs --config')
    if args.cfg_options and not args.config:
        parser.error('--cfg-options needs --config')
    return args


def main() -> None:
    args = parse_args()
    try:
        written = visualize(args.video, args.out, args.config,
                            args.checkpoint, args.start, args.seed,
                            args.cfg_options)
    except FileNotFoundError as error:
        sys.exit(f'error: {error}')
    print('\n'.join(written))


if __name__ == '__main__':
    main()

"""Sampling one clip through a pre-training pipeline, for drawing."""
import random
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import decord
import numpy as np
import torch
from mmengine.config import Config
from mmaction.registry import TRANSFORMS
from mme_mmaction.datasets.pipeline_steps import find_mask_step


PACKING = ('FormatShape', 'PackActionInputs', 'PackPretrainInputs')
DEFAULT_CLIP_LEN = 16
DEFAULT_INTERVAL = 4
DEFAULT_TRAJ_LEN = 4
DEFAULT_SHORT_SIDE = 224


@dataclass
class Clip:
    """One pipeline sample, as drawn.

    Attributes:
        results (dict): The pipeline's results before packing.
        packing (list): The config's packing transforms (empty without one).
        frames (np.ndarray): (T, H, W, 3) uint8 RGB final frames.
        frame_inds (np.ndarray): (T,) raw index of every frame.
        traj_len (int): Trajectory steps L.
        tubelet (int): Frames per tubelet.
        mask_step (dict): The pipeline's mask step.
        patch (int): Patch side of the mask.
    """

    results: Dict
    packing: List
    frames: np.ndarray
    frame_inds: np.ndarray
    traj_len: int
    tubelet: int
    mask_step: Dict
    patch: int


def _last_offset(clip_len: int, interval: int, traj_len: int,
                 tubelet: int) -> int:
    """Last raw frame a clip needs, relative to its first frame."""
    return max((clip_len - 1) * interval,
               (clip_len - tubelet) * interval + traj_len)


def choose_sampling(total: int, start: int, clip_len: int, interval: int,
                    traj_len: int, tubelet: int,
                    fixed_clip_len: bool) -> Tuple[int, int]:
    """Largest clip that fits the video from ``start``.

    The stride is lowered first, so that the clip keeps its tubelets; then,
    unless the clip length is fixed (a config's model expects it), frames
    are dropped a tubelet at a time with stride 1.

    Returns:
        tuple[int, int]: ``(clip_len, frame_interval)``.
    """
    candidates = [(clip_len, i) for i in range(interval, 0, -1)]
    if not fixed_clip_len:
        candidates += [(c, 1) for c in range(clip_len - tubelet, 0, -tubelet)]
    for length, stride in candidates:
        if start + _last_offset(length, stride, traj_len, tubelet) < total:
            return length, stride
    length, stride = candidates[-1]
    needed = _last_offset(length, stride, traj_len, tubelet) + 1
    raise ValueError(
        f'The video has {total} frames; from frame {start} the shortest clip '
        f'({length} frames, trajectories of {traj_len} steps) needs {needed}.')


def _default_pipeline(height: int, width: int) -> List[dict]:
    """Pipeline for any video: aspect kept roughly, sides multiples of 16."""
    scale = DEFAULT_SHORT_SIDE / min(height, width)
    size = tuple(
        max(16, round(side * scale / 16) * 16) for side in (width, height))
    return [
        dict(type='DecordInit'),
        dict(type='DecordDecodeWithTrajectoryFrames',
             traj_len=DEFAULT_TRAJ_LEN),
        dict(type='Resize', scale=size, keep_ratio=False),
        dict(type='TrajectoryTarget'),
        dict(type='TubeMaskGenerator', mask_ratio=0.7),
    ]


def _find(pipeline: Sequence[dict], name: str) -> dict:
    """The first step of type ``name``; an error naming it if absent."""
    for step in pipeline:
        if step['type'] == name:
            return step
    raise ValueError(f'The pipeline has no {name}.')


def sample_clip(video: str, cfg: Optional[Config], start: int,
                seed: int) -> Clip:
    """Run every transform but the packing ones on one clip.

    Args:
        video (str): Video path.
        cfg (Config, optional): Config whose training pipeline is used;
            the built-in pipeline without one.
        start (int): First raw frame of the clip.
        seed (int): Seed of random crops and of the mask.

    Returns:
        Clip: The sample.
    """
    reader = decord.VideoReader(video)
    total = len(reader)
    height, width = reader[0].shape[:2]
    if cfg is None:
        pipeline = _default_pipeline(height, width)
        clip_len, interval = DEFAULT_CLIP_LEN, DEFAULT_INTERVAL
    else:
        pipeline = cfg.train_dataloader.dataset.pipeline
        sampler = _find(pipeline, 'SampleFrames')
        clip_len, interval = sampler['clip_len'], sampler['frame_interval']
    decode = _find(pipeline, 'DecordDecodeWithTrajectoryFrames')
    # An upper bound: the decode step's, else the (possibly lowered) stride.
    traj_len = decode.get('traj_len') or interval
    tubelet = decode.get('tubelet_size', 2)
    clip_len, interval = choose_sampling(
        total, start, clip_len, interval, traj_len, tubelet,
        fixed_clip_len=cfg is not None)

    drawing = [
        TRANSFORMS.build(step) for step in pipeline
        if step['type'] not in PACKING + ('SampleFrames', )
    ]
    packing = [
        TRANSFORMS.build(step) for step in pipeline
        if step['type'] in PACKING
    ]
    # Random crops and the mask draw from the global generators.
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    results = dict(
        filename=video,
        start_index=0,
        modality='RGB',
        num_clips=1,
        clip_len=clip_len,
        frame_interval=interval,
        frame_inds=start + np.arange(clip_len) * interval)
    for transform in drawing:
        results = transform(results)
        if results is None:
            raise ValueError(f'{transform!r} skipped the sample (its '
                             "on_bad_input is 'skip'); see the log.")
    mask_step = pipeline[find_mask_step(pipeline)]
    return Clip(
        results=results,
        packing=packing,
        frames=np.stack(results['imgs']).astype(np.uint8),
        frame_inds=np.asarray(results['frame_inds']).reshape(-1),
        traj_len=results['traj_len'],
        tubelet=tubelet,
        mask_step=mask_step,
        patch=mask_step.get('patch_size', 16))

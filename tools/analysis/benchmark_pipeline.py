"""Data-pipeline cost and accuracy of MME trajectory sources.

Measures, on one core and in one run, with the pipelines interleaved in
repeated rounds:

- ms per clip of the VideoMAE pipeline (decode + crop + mask, the baseline)
  and of the MME pipeline with each trajectory source, and the median of the
  per-round ratios to the baseline;
- what the trajectory check (on by default) costs, and what trajectories
  made only for a motion-guided mask add to the VideoMAE pipeline;
- ms per clip of each motion-guided mask over the tube mask, on the same
  tracked clips (masks alone, interleaved);
- how far each source's targets are from the default online flow's on the
  same clips (median end-point distance of the 4-step trajectories, final
  pixels, and the share of cells more than 1 px away);
- known motion: the velocity each source reads on a textured square moving
  (3, -2) px per frame;
- photometric consistency on the real video: the mean grey-level difference
  of each tracked 8 x 8 cell between consecutive frames (lower is better;
  no motion gives the first row);
- how many such workers keep one GPU busy at a stated pre-training
  throughput (clips/s per GPU);
- the cost of one flow field for every OpenCV backend.

Example:
    python tools/analysis/benchmark_pipeline.py --rounds 3 --clips 8
"""
import argparse
import copy
import math
import os.path as osp
import random
import tempfile
import time
from typing import Callable, Dict, List, Tuple

import cv2
import decord
import numpy as np
import torch
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

import mme_mmaction  # noqa: F401  (registers the transforms)
from mme_mmaction.datasets.pipeline_steps import MASK_ONLY_TRAJECTORIES
from mme_mmaction.motion import (DEFAULT_FLOW, OpticalFlow, cell_centres,
                                 native_grid_trajectories)
from mme_mmaction.motion.storage import write_trajectories

# VideoMAE ViT-B, 800 epochs of Kinetics-400 (about 240k clips) in about 27
# hours on 64 V100s: MCG-NJU/VideoMAE issue #5 (the authors' answer).
PUBLISHED_CLIPS_PER_S = 240_000 * 800 / (27 * 3600) / 64
PUBLISHED_SOURCE = ('VideoMAE ViT-B on 64 V100s: 800 K400 epochs in 27 h '
                    '(MCG-NJU/VideoMAE issue #5)')
GEOMETRY = [
    dict(type='Resize', scale=(-1, 256)),
    dict(type='MultiScaleCrop', input_size=256, scales=(1, .875, .75, .66),
         random_crop=False, max_wh_scale_gap=1),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
]
TAIL = [dict(type='TubeMaskGenerator', mask_ratio=0.7),
        dict(type='FormatShape', input_format='NCTHW')]
CROP = dict(margin=0.25, min_flow_size=0)
SOURCES = {
    'online, default DIS, whole frame': dict(type='online'),
    'online, default DIS, crop + 25% margin': dict(type='online', **CROP),
    'online, DIS fast, crop + 25% margin':
    dict(type='online', flow=dict(method='dis', preset='fast'), **CROP),
    'lucas_kanade (default: crop + 10% margin)': dict(type='lucas_kanade'),
    'lucas_kanade, whole frame': dict(type='lucas_kanade', margin=None),
    'stored (offline .npy)': dict(type='stored'),
}
REFERENCE = 'online, default DIS, whole frame'
BASELINE = 'VideoMAE (decode + crop + mask)'
UNCHECKED = {
    f'{name}, no trajectory check': name
    for name in (REFERENCE, 'lucas_kanade (default: crop + 10% margin)')
}
MASK_ONLY = ('VideoMAE + trajectories for a motion-guided mask (lucas_kanade, '
             '16 px cells, 1 step)')
MASKS = {
    'tube': dict(type='TubeMaskGenerator', mask_ratio=0.9),
    'warp': dict(type='MotionGuidedMaskGenerator', mode='warp',
                 mask_ratio=0.9),
    'motion': dict(type='MotionGuidedMaskGenerator', mode='motion',
                   mask_ratio=0.9),
}
FLOWS = {
    'dis-default (ultrafast, finest scale 1, 2 refinements)': DEFAULT_FLOW,
    'dis-ultrafast': dict(method='dis', preset='ultrafast'),
    'dis-fast': dict(method='dis', preset='fast'),
    'dis-medium': dict(method='dis', preset='medium'),
    'farneback': dict(method='farneback'),
}
SQUARE = dict(size=224, side=56, start=(60., 100.), velocity=(3., -2.))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--video', required=True,
                        help='a real video to sample, long enough for a 16 x '
                        '4 clip (docs/benchmarks.md used a 640x272 H.264 '
                        'clip)')
    parser.add_argument('--clips', type=int, default=8,
                        help='clips per pipeline and round')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--flow-repeats', type=int, default=20)
    parser.add_argument('--model-clips-per-s', type=float,
                        default=PUBLISHED_CLIPS_PER_S,
                        help='pre-training clips/s of one GPU (default: the '
                        'published VideoMAE ViT-B figure)')
    parser.add_argument('--model-source', default=PUBLISHED_SOURCE,
                        help='where --model-clips-per-s comes from')
    return parser.parse_args()


def source_cfg(name: str, root: str) -> dict:
    cfg = dict(SOURCES[name])
    if cfg['type'] == 'stored':
        cfg['root'] = root
    return cfg


def decode_head(name: str) -> List[dict]:
    online = SOURCES[name]['type'] != 'stored'
    return [dict(type='DecordInit'),
            dict(type='DecordDecodeWithTrajectoryFrames', traj_len=4,
                 raw_frames=online)]


def training_pipelines(root: str) -> Dict[str, Compose]:
    """The VideoMAE baseline and the MME pipeline with every source."""
    sample = [dict(type='SampleFrames', clip_len=16, frame_interval=4,
                   num_clips=1)]
    pipelines = {
        BASELINE:
        [dict(type='DecordInit'), *sample, dict(type='DecordDecode'),
         *GEOMETRY, *TAIL]
    }
    for name in SOURCES:
        pipelines[name] = tracking_pipeline(name, root, sample) + TAIL
    for name, checked in UNCHECKED.items():
        pipelines[name] = tracking_pipeline(checked, root, sample,
                                            consistency=None) + TAIL
    pipelines[MASK_ONLY] = [
        dict(type='DecordInit'), *sample,
        dict(type='DecordDecodeWithTrajectoryFrames', traj_len=1), *GEOMETRY,
        dict(MASK_ONLY_TRAJECTORIES, cell_size=16), MASKS['warp'], TAIL[1]
    ]
    return {name: Compose(steps) for name, steps in pipelines.items()}


def tracking_pipeline(name: str, root: str, sample: List[dict],
                      **options) -> List[dict]:
    """Decode, crop and track with source ``name`` (no mask)."""
    head = decode_head(name)
    return [
        head[0], *sample, head[1], *GEOMETRY,
        dict(type='TrajectoryTarget', source=source_cfg(name, root),
             **options)
    ]


def mask_ms(video: str, clips: int, rounds: int,
            repeats: int = 20) -> Dict[str, np.ndarray]:
    """ms per clip of every mask of :data:`MASKS` on the same tracked
    clips (the default ViT-B source), per round, interleaved."""
    tracked = Compose(tracking_pipeline(
        'lucas_kanade (default: crop + 10% margin)', '', [
            dict(type='SampleFrames', clip_len=16, frame_interval=4,
                 num_clips=1)
        ]))
    random.seed(0)
    np.random.seed(0)
    samples = [tracked(dict(filename=video, start_index=0, modality='RGB'))
               for _ in range(clips)]
    masks = {name: Compose([cfg]) for name, cfg in MASKS.items()}
    names = list(masks)
    spent = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            copies = [copy.copy(s) for s in samples for _ in range(repeats)]
            start = time.perf_counter()
            for sample in copies:
                masks[name](sample)
            spent[name].append(1e3 * (time.perf_counter() - start) /
                               len(copies))
    return {name: np.array(ms) for name, ms in spent.items()}


def one_tubelet(name: str, root: str, geometry: List[dict]) -> Compose:
    """Decode one tubelet (raw frames s..s+4) and make its targets as the
    source tracks them (no trajectory check: a tubelet across a cut would
    have no valid cell to compare)."""
    return Compose([
        *decode_head(name), *geometry,
        dict(type='TrajectoryTarget', source=source_cfg(name, root),
             consistency=None)
    ])


def tubelet_sample(video: str, start: int) -> dict:
    return dict(filename=video, frame_inds=np.array([start, start + 4]),
                clip_len=2, num_clips=1, modality='RGB', start_index=0)


def time_clips(pipeline: Callable, video: str,
               clips: int) -> Tuple[float, list]:
    """Seconds per clip over ``clips`` seeded clips, and their targets."""
    random.seed(0)  # MultiScaleCrop draws from Python's generator
    np.random.seed(0)
    targets = []
    start = time.perf_counter()
    for _ in range(clips):
        out = pipeline(dict(filename=video, start_index=0, modality='RGB'))
        targets.append((out.get('trajectories'), out.get('traj_valid')))
    return (time.perf_counter() - start) / clips, targets


def end_point_distances(targets: list, reference: list) -> np.ndarray:
    """Distances (px) between 4-step trajectory ends, cells valid in both."""
    distances = []
    for (traj, valid), (ref, ref_valid) in zip(targets, reference):
        gap = np.linalg.norm((traj - ref).sum(1), axis=1)  # (T', Hc, Wc)
        distances.append(gap[valid & ref_valid])
    return np.concatenate(distances)


def square_reading(name: str, root: str, video: str) -> Tuple[float, float]:
    """Error of the mean velocity read on the square's inner cells, and the
    worst cell's error (px per frame)."""
    out = one_tubelet(name, root, [])(tubelet_sample(video, 0))
    steps = out['trajectories'][0].transpose(2, 3, 0, 1)  # (Hc, Wc, L, 2)
    x, y = cell_centres(SQUARE['size'], SQUARE['size']).T.reshape(
        2, *steps.shape[:2])
    (x0, y0), (vx, vy) = SQUARE['start'], SQUARE['velocity']
    side, moves = SQUARE['side'], steps.shape[2]
    # Cells at least 4 px inside the square in every frame.
    inside = ((x >= x0 + 4 + max(vx * moves, 0))
              & (x <= x0 + side - 4 + min(vx * moves, 0))
              & (y >= y0 + 4 + max(vy * moves, 0))
              & (y <= y0 + side - 4 + min(vy * moves, 0)))
    error = steps[inside] - SQUARE['velocity']
    return np.abs(error.mean((0, 1))).max(), np.abs(error).max()


def write_square_video(path: str) -> None:
    rng = np.random.default_rng(0)

    def texture(side: int) -> np.ndarray:
        noise = rng.uniform(0, 255, (side, side, 3)).astype(np.float32)
        return np.clip(cv2.GaussianBlur(noise, (0, 0), 1.5) * 2 - 128, 0,
                       255)

    size, side = SQUARE['size'], SQUARE['side']
    background, patch = texture(size), texture(side)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 25,
                             (size, size))
    for i in range(8):
        shift = np.float32(SQUARE['start']) + i * np.float32(
            SQUARE['velocity'])
        warp = np.float32([[1, 0, shift[0]], [0, 1, shift[1]]])
        moved = cv2.warpAffine(patch, warp, (size, size))
        inside = cv2.warpAffine(np.ones((side, side), np.float32), warp,
                                (size, size))[..., None]
        writer.write((moved * inside + background * (1 - inside)).astype(
            np.uint8))
    writer.release()


def cell_warp_error(frames: np.ndarray, steps: np.ndarray,
                    valid: np.ndarray) -> float:
    """Mean |difference| of each tracked 8 x 8 cell between its frames.

    Args:
        frames (np.ndarray): (L + 1, H, W) grey frames, final geometry.
        steps (np.ndarray): (L, 2, Hc, Wc) steps of the cells' centres.
        valid (np.ndarray): (Hc, Wc) validity.
    """
    height, width = frames.shape[1:]
    points = cell_centres(height, width)[valid.ravel()] - 0.5
    steps = steps.transpose(0, 2, 3, 1)[:, valid]  # (L, P, 2)
    offsets = np.stack(np.meshgrid(np.arange(8) - 3.5, np.arange(8) - 3.5),
                       -1).reshape(1, 64, 2)
    errors = []
    for j in range(len(steps)):
        windows = []
        for frame, at in ((frames[j], points), (frames[j + 1],
                                                points + steps[j])):
            grid = (at[:, None] + offsets).astype(np.float32)
            windows.append(cv2.remap(frame.astype(np.float32), grid[..., 0],
                                     grid[..., 1], cv2.INTER_LINEAR,
                                     borderMode=cv2.BORDER_REPLICATE))
        errors.append(np.abs(windows[0] - windows[1]).mean())
        points = points + steps[j]
    return float(np.mean(errors))


def warp_errors(video: str, root: str, starts: List[int]) -> Dict[str, float]:
    """Cell warp error of every source (and of no motion) on tubelets of
    the video resized to 224 px high and centre-cropped to 224 x 224."""
    geometry = [dict(type='Resize', scale=(-1, 224)),
                dict(type='CenterCrop', crop_size=224)]
    reader = decord.VideoReader(video)
    scale = 224 / reader[0].shape[0]
    width = round(reader[0].shape[1] * scale)
    left = (width - 224) // 2
    clips = {}
    for start in starts:
        rgb = reader.get_batch(list(range(start, start + 5))).asnumpy()
        clips[start] = np.stack([
            cv2.resize(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), (width, 224),
                       interpolation=cv2.INTER_AREA)[:, left:left + 224]
            for f in rgb
        ])
    zero = np.zeros((4, 2, 28, 28), np.float32)
    errors = {'no motion': np.mean([
        cell_warp_error(clips[s], zero, np.ones((28, 28), bool))
        for s in starts])}
    for name in SOURCES:
        pipeline = one_tubelet(name, root, geometry)
        outs = [pipeline(tubelet_sample(video, s)) for s in starts]
        errors[name] = np.mean([
            cell_warp_error(clips[s], out['trajectories'][0],
                            out['traj_valid'][0])
            for s, out in zip(starts, outs)
        ])
    return errors


def flow_ms(repeats: int) -> List[tuple]:
    rng = np.random.default_rng(0)
    texture = cv2.GaussianBlur(
        rng.uniform(0, 255, (260, 260)).astype(np.float32), (0, 0), 2)
    first = np.clip(texture[:224, :224] * 2 - 128, 0, 255).astype(np.uint8)
    second = np.clip(texture[3:227, 2:226] * 2 - 128, 0,
                     255).astype(np.uint8)
    rows = []
    for name, options in FLOWS.items():
        flow = OpticalFlow(**options)
        flow(first, second)
        start = time.perf_counter()
        for _ in range(repeats):
            flow(first, second)
        rows.append((name, 1e3 * (time.perf_counter() - start) / repeats))
    return rows


def store_targets(video: str, root: str) -> None:
    """What ``tools/data/extract_trajectories.py`` writes, default flow."""
    reader = decord.VideoReader(video)
    grey = (cv2.cvtColor(f, cv2.COLOR_RGB2GRAY)
            for f in reader.get_batch(list(range(len(reader)))).asnumpy())
    traj, valid = native_grid_trajectories(
        grey, OpticalFlow(**DEFAULT_FLOW), traj_len=4)
    key = osp.splitext(osp.basename(video))[0]
    write_trajectories(osp.join(root, key + '.npy'), traj, valid)


def main() -> None:
    args = parse_args()
    init_default_scope('mmaction')
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    video = osp.abspath(args.video)
    with tempfile.TemporaryDirectory() as root:
        square = osp.join(root, 'square.mp4')
        write_square_video(square)
        store_targets(video, root)
        store_targets(square, root)
        pipelines = training_pipelines(root)
        names = list(pipelines)
        seconds = {name: [] for name in names}
        targets = {}
        for r in range(args.rounds):
            # Rotate the order so that no pipeline always runs first.
            for name in names[r % len(names):] + names[:r % len(names)]:
                spent, targets[name] = time_clips(pipelines[name], video,
                                                  args.clips)
                seconds[name].append(spent)
        masks = mask_ms(video, args.clips, args.rounds)
        squares = {name: square_reading(name, root, square)
                   for name in SOURCES}
        warps = warp_errors(video, root, list(range(0, 200, 25)))
    reference = targets[REFERENCE]
    height, width = decord.VideoReader(video)[0].shape[:2]
    print(f'{osp.basename(video)} ({width}x{height}), 16x4 clips at '
          f'224x224, 1 thread, {args.rounds} interleaved rounds of '
          f'{args.clips} clips; medians over rounds')
    print('| pipeline | ms/clip | added ms/clip | vs VideoMAE (spread) | '
          'distance to default: median px, share > 1 px |')
    print('|---|---|---|---|---|')
    base = np.array(seconds[BASELINE])
    for name in names:
        spent = np.array(seconds[name])
        ratios = spent / base
        accuracy = '-'
        if name not in (BASELINE, MASK_ONLY):
            gaps = end_point_distances(targets[name], reference)
            accuracy = f'{np.median(gaps):.2f}, {np.mean(gaps > 1):.0%}'
        print(f'| {name} | {1e3 * np.median(spent):.1f} | '
              f'{1e3 * np.median(spent - base):+.1f} | '
              f'{np.median(ratios):.2f}x ({ratios.min():.2f}-'
              f'{ratios.max():.2f}) | {accuracy} |')
    print('\nThe trajectory check: cost per clip (same source, checked '
          'against unchecked, per-round ratios)')
    print('| source | added ms/clip | checked / unchecked |')
    print('|---|---|---|')
    for unchecked, name in UNCHECKED.items():
        spent, plain = np.array(seconds[name]), np.array(seconds[unchecked])
        print(f'| {name} | {1e3 * np.median(spent - plain):+.1f} | '
              f'{np.median(spent / plain):.3f}x |')
    print(f'\nMasks alone on the same tracked clips (16x4, 224x224, 8x14x14 '
          f'tokens, ratio 0.9), {args.rounds} interleaved rounds')
    print('| mask | ms/clip | added over the tube mask, ms/clip |')
    print('|---|---|---|')
    for name, ms in masks.items():
        print(f'| {name} | {np.median(ms):.3f} | '
              f'{np.median(ms - masks["tube"]):+.3f} |')
    print(f'\nKnown motion ({SQUARE["side"]} px textured square moving '
          f'{SQUARE["velocity"]} px/frame, mp4v) and photometric '
          'consistency on the video (8 tubelets, 224x224 centre crop)')
    print('| source | square: error of mean read (px) | worst cell (px) | '
          'cell warp error (grey levels) |')
    print('|---|---|---|---|')
    print(f'| no motion | - | - | {warps["no motion"]:.2f} |')
    for name in SOURCES:
        print(f'| {name} | {squares[name][0]:.3f} | {squares[name][1]:.3f} '
              f'| {warps[name]:.2f} |')
    print(f'\nWorkers per GPU at {args.model_clips_per_s:.1f} clips/s per '
          f'GPU ({args.model_source}); one worker = one core, 1 thread')
    print('| pipeline | clips/s per worker | workers per GPU |')
    print('|---|---|---|')
    for name in names:
        rate = 1 / np.median(seconds[name])
        print(f'| {name} | {rate:.1f} | '
              f'{math.ceil(args.model_clips_per_s / rate)} |')
    print('\nOne flow field, 224x224 grey, 1 thread')
    print('| backend | ms/field | ms per 16x4 clip (32 fields) |')
    print('|---|---|---|')
    for name, ms in flow_ms(args.flow_repeats):
        print(f'| {name} | {ms:.2f} | {32 * ms:.0f} |')


if __name__ == '__main__':
    main()

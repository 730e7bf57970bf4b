"""Data-pipeline cost of MME targets against the plain VideoMAE pipeline.

Measures, on one core and in one run: clips per second of the VideoMAE
pipeline (decode + crop + mask, the baseline), of the MME pipeline with
online trajectory targets (decode of the raw frames + flow + tracking) and
with offline targets (a memory-mapped file of
``tools/data/extract_trajectories.py``), and the cost of one flow field for
every OpenCV backend.

Example:
    python tools/analysis/benchmark_pipeline.py --clips 20
"""
import argparse
import os.path as osp
import tempfile
import time
from typing import Callable, Dict, List

import cv2
import numpy as np
import torch

import mme_mmaction  # noqa: F401  (registers the transforms)
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from mme_mmaction.motion import (DEFAULT_FLOW, OpticalFlow,
                                 native_grid_trajectories)
from mme_mmaction.motion.storage import write_trajectories

SHARED_VIDEO = osp.join(
    osp.dirname(__file__), '..', '..', '..', 'shared', 'data', 'videos',
    'bikes.mp4')
GEOMETRY = [
    dict(type='Resize', scale=(-1, 256)),
    dict(type='MultiScaleCrop', input_size=256, scales=(1, .875, .75, .66),
         random_crop=False, max_wh_scale_gap=1),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
]
TAIL = [dict(type='TubeMaskGenerator', mask_ratio=0.7),
        dict(type='FormatShape', input_format='NCTHW')]
FLOWS = {
    'dis-default (ultrafast, finest scale 1, 2 refinements)': DEFAULT_FLOW,
    'dis-ultrafast': dict(method='dis', preset='ultrafast'),
    'dis-fast': dict(method='dis', preset='fast'),
    'dis-medium': dict(method='dis', preset='medium'),
    'farneback': dict(method='farneback'),
    'tvl1': dict(method='tvl1'),
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--video', default=SHARED_VIDEO,
                        help='video to sample (default: bikes.mp4)')
    parser.add_argument('--clips', type=int, default=20)
    parser.add_argument('--flow-repeats', type=int, default=20)
    return parser.parse_args()


def pipelines(traj_root: str) -> Dict[str, list]:
    head = [dict(type='DecordInit'),
            dict(type='SampleFrames', clip_len=16, frame_interval=4,
                 num_clips=1)]
    target = dict(type='TrajectoryTarget')
    return {
        'VideoMAE (decode + crop + mask)':
        head + [dict(type='DecordDecode')] + GEOMETRY + TAIL,
        'MME online (default DIS)':
        head + [dict(type='DecordDecodeWithTrajectoryFrames', traj_len=4)] +
        GEOMETRY + [target] + TAIL,
        'MME online (default DIS, crop + 25% margin, final scale)':
        head + [dict(type='DecordDecodeWithTrajectoryFrames', traj_len=4)] +
        GEOMETRY + [dict(target, source=dict(
            type='online', margin=0.25, min_flow_size=0))] + TAIL,
        'MME online (DIS fast, crop + 25% margin, final scale)':
        head + [dict(type='DecordDecodeWithTrajectoryFrames', traj_len=4)] +
        GEOMETRY + [dict(target, source=dict(
            type='online', margin=0.25, min_flow_size=0,
            flow=dict(method='dis', preset='fast')))] + TAIL,
        'MME online (DIS medium)':
        head + [dict(type='DecordDecodeWithTrajectoryFrames', traj_len=4)] +
        GEOMETRY + [dict(target, source=dict(
            type='online', flow=dict(method='dis', preset='medium')))] + TAIL,
        'MME offline (stored .npy)':
        head + [dict(type='DecordDecode')] + GEOMETRY +
        [dict(target, source=dict(type='stored', root=traj_root))] + TAIL,
    }


def seconds_per_clip(run: Callable, video: str, clips: int) -> float:
    np.random.seed(0)
    run(dict(filename=video, start_index=0, modality='RGB'))  # warm-up
    start = time.perf_counter()
    for _ in range(clips):
        run(dict(filename=video, start_index=0, modality='RGB'))
    return (time.perf_counter() - start) / clips


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
        count = max(2, repeats // 10) if name == 'tvl1' else repeats
        start = time.perf_counter()
        for _ in range(count):
            flow(first, second)
        rows.append((name, 1e3 * (time.perf_counter() - start) / count))
    return rows


def main() -> None:
    args = parse_args()
    init_default_scope('mmaction')
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    video = osp.abspath(args.video)
    with tempfile.TemporaryDirectory() as root:
        import decord
        frames = decord.VideoReader(video)
        grey = np.stack([
            cv2.cvtColor(f, cv2.COLOR_RGB2GRAY)
            for f in frames.get_batch(list(range(len(frames)))).asnumpy()
        ])
        traj, valid = native_grid_trajectories(
            grey, OpticalFlow(**DEFAULT_FLOW), traj_len=4)
        key = osp.splitext(osp.basename(video))[0]
        write_trajectories(osp.join(root, key + '.npy'), traj, valid)
        rows = [(name, seconds_per_clip(Compose(steps), video, args.clips))
                for name, steps in pipelines(root).items()]
    height, width = grey.shape[1:]
    base = rows[0][1]
    print(f'{osp.basename(video)} ({width}x{height}), 16x4 clips at '
          f'224x224, 1 thread, mean of {args.clips} clips')
    print('| pipeline | ms/clip | clips/s | added ms/clip | vs VideoMAE |')
    print('|---|---|---|---|---|')
    for name, seconds in rows:
        print(f'| {name} | {1e3 * seconds:.1f} | {1 / seconds:.1f} | '
              f'{1e3 * (seconds - base):+.1f} | {seconds / base:.2f}x |')
    print('\nOne flow field, 224x224 grey, 1 thread')
    print('| backend | ms/field | ms per 16x4 clip (32 fields) |')
    print('|---|---|---|')
    for name, ms in flow_ms(args.flow_repeats):
        print(f'| {name} | {ms:.2f} | {32 * ms:.0f} |')


if __name__ == '__main__':
    main()

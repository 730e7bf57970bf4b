"""Extract dense trajectories of every raw start frame, for offline targets.

Usage:
    python tools/data/extract_trajectories.py LIST OUT_DIR \
        [--video-root DIR] [--flow dis --preset medium] [--traj-len 4] \
        [--flow-scale 1.0] [--workers N]

LIST is an MMAction2 video list (``<path> <label>`` per line, paths below
``--video-root``, by default the list's folder). Per video, OUT_DIR gets
``<path without extension>.npy``: float16 (T - L, L, 2, H/8, W/8) per-step
displacements of the native 8x8 cell centres from every start frame, NaN
where a point has left the frame (read one start frame at a time with
``mme_mmaction.motion.storage.TrajectoryReader``). ``OUT_DIR/manifest.json``
records the settings; a run with other settings into the same OUT_DIR is
refused.

Runs are resumable: a finished video is skipped, and every file is written
atomically, so a killed run leaves no partial file. Videos that fail are
listed with their reason in ``OUT_DIR/failures.txt`` and make the exit
status 1.
"""
import argparse
import multiprocessing
import os
import os.path as osp
import sys
from typing import List, Optional, Tuple

import cv2
import numpy as np
from tqdm import tqdm

from mme_mmaction.motion import OpticalFlow, native_grid_trajectories
from mme_mmaction.motion.storage import (read_manifest, write_manifest,
                                         write_trajectories)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Extract dense trajectories for offline MME targets')
    parser.add_argument('list', help='MMAction2 video list file')
    parser.add_argument('out_dir', help='output folder')
    parser.add_argument('--video-root', help='folder the list paths are in')
    parser.add_argument(
        '--flow', default='dis', choices=['dis', 'farneback', 'tvl1'])
    parser.add_argument(
        '--preset', default='medium', help='DIS preset (ultrafast/fast/'
        'medium)')
    parser.add_argument('--traj-len', type=int, default=4)
    parser.add_argument('--cell-size', type=int, default=8)
    parser.add_argument(
        '--flow-scale',
        type=float,
        default=1.,
        help='compute flow on frames resized by this factor')
    parser.add_argument('--workers', type=int, default=1)
    return parser.parse_args(argv)


def read_list(path: str, video_root: str) -> List[Tuple[str, str]]:
    """(video path, path below the root without extension) per line."""
    videos = []
    with open(path) as f:
        for line in f:
            if line.strip():
                relative = line.split()[0]
                videos.append((osp.join(video_root, relative),
                               osp.splitext(relative)[0]))
    return videos


def decode_grey(path: str) -> np.ndarray:
    """All frames of a video as (T, H, W) uint8 grey."""
    import decord
    if not osp.isfile(path):
        raise FileNotFoundError('no such video file')
    try:
        reader = decord.VideoReader(path)
        frames = reader.get_batch(list(range(len(reader)))).asnumpy()
    except Exception as error:  # decord raises its own error types
        raise ValueError(f'decord cannot decode it ({error})') from error
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f'decord returned frames of shape {frames.shape}')
    return np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames])


def extract_one(job: Tuple[str, str, dict]) -> Tuple[str, Optional[str]]:
    """Extract one video; returns (video, None) or (video, reason)."""
    video, target, settings = job
    try:
        cv2.setNumThreads(1)  # one process per core already
        traj, valid = native_grid_trajectories(
            decode_grey(video),
            OpticalFlow(settings['flow']['method'],
                        **settings['flow']['options']),
            traj_len=settings['traj_len'],
            cell_size=settings['cell_size'],
            flow_scale=settings['flow']['scale'])
        write_trajectories(target, traj, valid)
        return video, None
    except Exception as error:  # reported per video, the run goes on
        return video, f'{type(error).__name__}: {error}'


def extract(args: argparse.Namespace) -> int:
    """Run the extraction; returns the exit status."""
    video_root = args.video_root or osp.dirname(osp.abspath(args.list))
    flow = dict(method=args.flow,
                options=dict(preset=args.preset) if args.flow == 'dis'
                else {},
                scale=args.flow_scale)
    settings = dict(traj_len=args.traj_len, cell_size=args.cell_size,
                    flow=flow)
    os.makedirs(args.out_dir, exist_ok=True)
    if osp.exists(osp.join(args.out_dir, 'manifest.json')):
        stored = read_manifest(args.out_dir)
        if {k: stored.get(k) for k in settings} != settings:
            print(f'{args.out_dir} holds trajectories made with '
                  f'{ {k: stored.get(k) for k in settings} }, not '
                  f'{settings}: use another OUT_DIR.', file=sys.stderr)
            return 2
    else:
        write_manifest(args.out_dir, args.traj_len, args.cell_size, flow)

    jobs = [(video, osp.join(args.out_dir, key + '.npy'), settings)
            for video, key in read_list(args.list, video_root)]
    todo = [job for job in jobs if not osp.exists(job[1])]
    print(f'{len(jobs)} videos, {len(jobs) - len(todo)} already done.')
    failures = []
    with multiprocessing.Pool(max(args.workers, 1)) as pool:
        for video, reason in tqdm(
                pool.imap_unordered(extract_one, todo), total=len(todo),
                unit='video', dynamic_ncols=True):
            if reason is not None:
                failures.append((video, reason))
                tqdm.write(f'FAILED {video}: {reason}')
    report = osp.join(args.out_dir, 'failures.txt')
    if failures:
        with open(report, 'w') as f:
            f.writelines(f'{video}\t{reason}\n' for video, reason in failures)
        print(f'{len(failures)} of {len(todo)} videos failed: see {report}',
              file=sys.stderr)
        return 1
    if osp.exists(report):
        os.remove(report)
    print(f'Done: {len(jobs)} videos in {args.out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(extract(parse_args()))

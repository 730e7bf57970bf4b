"""Extract dense trajectories of every raw start frame, for offline targets.

Usage:
    python tools/data/extract_trajectories.py LIST OUT_DIR \
        [--video-root DIR] [--flow dis --preset medium] [--traj-len 4] \
        [--flow-scale 1.0] [--workers N] [--chunk 32]

LIST is an MMAction2 video list (``<path> <label>`` per line, paths below
``--video-root``, by default the list's folder). Per video, OUT_DIR gets
``<path below the root, without extension>.npy``: float16 (T - L, L, 2, H/8,
W/8) per-step displacements of the native 8x8 cell centres from every start
frame, NaN where a point has left the frame (read one start frame at a time
with ``mme_mmaction.motion.storage.TrajectoryReader``).
``OUT_DIR/manifest.json`` records the settings; a run with other settings
into the same OUT_DIR is refused.

Arguments and the whole list are checked before anything is written: every
output must fall inside OUT_DIR (no absolute paths outside the video root,
no ``..``, no symbolic link on the way from OUT_DIR to an output), two
videos may not share one (``x.mp4`` and ``x.avi``), and ``--cell-size``
must fit the first video's frames. One run at a time writes into an
OUT_DIR: a second is refused while the first holds the folder's lock.

Each video is extracted in a process of its own (``--workers`` at once),
decoded ``--chunk`` frames at a time with only L flow fields in memory; a
worker that dies (e.g. killed by the OOM killer) fails its video only.
Runs are resumable: complete outputs are skipped (an output whose header
and size disagree is extracted again), files are written atomically through
hidden temporaries, and the temporaries of killed runs are removed; no other
file is touched. Videos that fail are listed with their reason in
``OUT_DIR/failures.txt``, also when the run is interrupted, and make the
exit status 1.
"""
import argparse
import fcntl
import itertools
import os
import os.path as osp
import sys
import tempfile
from typing import IO, Dict, Iterator, List, Optional, Tuple

import cv2
import numpy as np
from tqdm import tqdm

from mme_mmaction.datasets import read_video_list
from mme_mmaction.datasets.transforms.decode import check_frames, decode_error
from mme_mmaction.motion import OpticalFlow, native_grid_trajectories
from mme_mmaction.motion.storage import (TrajectoryReader, atomic_write,
                                         read_manifest, temporary_writer,
                                         write_manifest, write_trajectories)
from mme_mmaction.utils import run_isolated

FAILURES = 'failures.txt'
LOCK = '.extract_trajectories.lock'


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
        help='compute flow on frames resized by this factor (0, 1]')
    parser.add_argument('--workers', type=int, default=1)
    parser.add_argument(
        '--chunk', type=int, default=32,
        help='frames decoded at once (bounds memory per worker)')
    return parser.parse_args(argv)


def settings_of(args: argparse.Namespace) -> Dict:
    """The settings the manifest records, checked.

    Raises:
        ValueError: For a value out of range or flow options OpenCV refuses.
    """
    for name, low in (('traj_len', 1), ('cell_size', 1), ('workers', 1),
                      ('chunk', 1)):
        if getattr(args, name) < low:
            raise ValueError(f'--{name.replace("_", "-")} must be at least '
                             f'{low}, got {getattr(args, name)}.')
    if not 0 < args.flow_scale <= 1:
        raise ValueError(
            f'--flow-scale must be in (0, 1], got {args.flow_scale}.')
    flow = dict(method=args.flow,
                options=dict(preset=args.preset) if args.flow == 'dis'
                else {},
                scale=args.flow_scale)
    OpticalFlow(flow['method'], **flow['options'])  # an unknown preset fails
    return dict(traj_len=args.traj_len, cell_size=args.cell_size, flow=flow)


def read_list(path: str, video_root: str) -> List[Tuple[str, str]]:
    """(video path, output key) per video of a list, checked.

    The key is the path below ``video_root`` without extension, as
    ``TrajectoryTarget``'s stored source looks it up. The list is read as
    the datasets read it (:func:`~mme_mmaction.datasets.read_video_list`):
    blank lines are skipped, a malformed line is an error.

    Raises:
        ValueError: Naming the list file and line of every malformed line,
            every line whose output would leave OUT_DIR, and every group of
            videos that would share one output.
    """
    root = osp.normpath(osp.abspath(video_root))
    videos: Dict[str, str] = {}
    problems = []
    for entry in read_video_list(path):
        video = osp.normpath(osp.join(root, entry.path))
        relative = osp.relpath(video, root)
        if relative == '.' or relative.split(os.sep)[0] == '..':
            problems.append(f'line {entry.line}: {entry.path} is not below '
                            f'the video root {root}, so its output would '
                            'leave OUT_DIR')
            continue
        videos.setdefault(video, osp.splitext(relative)[0])
    by_key: Dict[str, List[str]] = {}
    for video, key in videos.items():
        by_key.setdefault(key, []).append(video)
    problems += [
        f'{" and ".join(sorted(names))} would share the output {key}.npy'
        for key, names in sorted(by_key.items()) if len(names) > 1
    ]
    if problems:
        raise ValueError(f'{path}: ' + '; '.join(problems) + '.')
    return sorted(videos.items())


def decode_grey(path: str, chunk: int) -> Iterator[np.ndarray]:
    """The frames of a video as (H, W) uint8 grey, ``chunk`` at a time.

    Raises:
        FileNotFoundError: If the video is missing.
        BadInputError: If decord cannot decode it.
    """
    import decord
    if not osp.isfile(path):
        raise FileNotFoundError('no such video file')
    try:
        reader = decord.VideoReader(path)
        for start in range(0, len(reader), chunk):
            frames = reader.get_batch(
                list(range(start, min(start + chunk, len(reader))))).asnumpy()
            check_frames(path, frames)
            yield from (cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames)
    except decord._ffi.base.DECORDError as error:
        raise decode_error(path, error) from error


def remove_stale_temporaries(out_dir: str) -> int:
    """Delete our hidden temporary files whose writers no longer run.

    Only names :func:`~mme_mmaction.motion.storage.temporary_path` makes
    are candidates; every other file is left alone.
    """
    removed = 0
    for folder, _, files in os.walk(out_dir):
        for name in files:
            writer = temporary_writer(name)
            if writer is None:
                continue
            try:
                os.kill(writer, 0)
                continue  # its writer still runs (e.g. the converter)
            except ProcessLookupError:
                pass
            except PermissionError:
                continue
            os.remove(osp.join(folder, name))
            removed += 1
    return removed


def link_on_the_way(out_dir: str, key: str) -> Optional[str]:
    """The first symbolic link between OUT_DIR and the output of ``key``.

    A link there would send the output (and the atomic rename that
    replaces it) outside OUT_DIR, whatever the lexical path says.
    """
    path = out_dir
    for part in f'{key}.npy'.split('/'):
        path = osp.join(path, part)
        if osp.islink(path):
            return path
        if not osp.exists(path):
            return None
    return None


def check_no_links(out_dir: str, keys: List[str]) -> None:
    """Refuse outputs that a symbolic link inside OUT_DIR would redirect.

    Raises:
        ValueError: Naming each link and where it points.
    """
    links = sorted({link for link in (link_on_the_way(out_dir, key)
                                      for key in keys) if link})
    if links:
        raise ValueError(
            'outputs would be written through symbolic links: ' + '; '.join(
                f'{link} -> {osp.realpath(link)}' for link in links) +
            '. Replace them by folders, or use another OUT_DIR.')


def lock_out_dir(out_dir: str) -> IO:
    """Take OUT_DIR's lock for this run (released when the process ends).

    Raises:
        ValueError: If another run holds it.
    """
    handle = open(osp.join(out_dir, LOCK), 'a')
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise ValueError(
            f'another extraction is writing into {out_dir} (it holds '
            f'{osp.join(out_dir, LOCK)}); wait for it to end, or use another '
            'OUT_DIR.') from None
    return handle


def is_complete(path: str, traj_len: int) -> bool:
    """Whether ``path`` is a whole output of these settings (header and
    size agree, L matches); reads the header only."""
    try:
        return TrajectoryReader(path).traj_len == traj_len
    except (OSError, ValueError):
        return False


def first_frame_shape(path: str) -> Optional[Tuple[int, int]]:
    """(H, W) of a video's frames, or None if it cannot be opened."""
    import decord
    try:
        height, width = decord.VideoReader(path, num_threads=1)[0].shape[:2]
    except Exception:  # its own failure is reported when it is extracted
        return None
    return height, width


def check_cell_size(cell_size: int, path: str,
                    shape: Optional[Tuple[int, int]]) -> None:
    """Refuse a seed cell larger than the frames.

    Raises:
        ValueError: Naming the video, its frame size and ``--cell-size``.
    """
    if shape is not None and cell_size > min(shape):
        raise ValueError(
            f'--cell-size {cell_size} is larger than the frames of {path} '
            f'({shape[0]}x{shape[1]}): no cell would fit.')


def check_writable(out_dir: str) -> None:
    """Fail now, not after the first video, if OUT_DIR cannot be written."""
    try:
        os.makedirs(out_dir, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out_dir):
            pass
    except OSError as error:
        raise ValueError(f'cannot write to {out_dir} ({error}).') from error


def read_failures(out_dir: str) -> Dict[str, str]:
    """{video: reason} of an earlier run's failure list."""
    path = osp.join(out_dir, FAILURES)
    if not osp.exists(path):
        return {}
    with open(path) as f:
        return dict(line.rstrip('\n').split('\t', 1) for line in f
                    if '\t' in line)


def write_failures(out_dir: str, failures: Dict[str, str]) -> None:
    """Save the failure list, or remove it if empty; never lose it."""
    path = osp.join(out_dir, FAILURES)
    try:
        if not failures:
            if osp.exists(path):
                os.remove(path)
            return

        def write(tmp: str) -> None:
            with open(tmp, 'w') as f:
                f.writelines(f'{video}\t{reason}\n'
                             for video, reason in sorted(failures.items()))

        atomic_write(path, write)
    except OSError as error:
        print(f'could not write {path} ({error}); the failures were:',
              file=sys.stderr)
        for video, reason in sorted(failures.items()):
            print(f'{video}\t{reason}', file=sys.stderr)


def extract_one(job: Tuple[str, str, Dict, int]) -> None:
    """Extract one video into its output file."""
    video, target, settings, chunk = job
    flow = settings['flow']
    frames = decode_grey(video, chunk)
    first = next(frames, None)
    if first is None:
        raise ValueError('the video has no frames')
    check_cell_size(settings['cell_size'], video, first.shape)
    traj, valid = native_grid_trajectories(
        itertools.chain([first], frames),
        OpticalFlow(flow['method'], **flow['options']),
        traj_len=settings['traj_len'],
        cell_size=settings['cell_size'],
        flow_scale=flow['scale'])
    write_trajectories(target, traj, valid)


def check_manifest(out_dir: str, settings: Dict) -> None:
    """Refuse an OUT_DIR whose manifest records other settings."""
    if not osp.exists(osp.join(out_dir, 'manifest.json')):
        return
    stored = read_manifest(out_dir)
    if {k: stored.get(k) for k in settings} != settings:
        raise ValueError(
            f'{out_dir} holds trajectories made with '
            f'{ {k: stored.get(k) for k in settings} }, not {settings}: '
            'use another OUT_DIR.')


def prepare(args: argparse.Namespace
            ) -> Tuple[Dict, List[Tuple[str, str]], IO]:
    """Check everything that can be checked before the first write.

    Returns:
        tuple: The settings, (video, key) per video, and OUT_DIR's lock.
    """
    settings = settings_of(args)
    video_root = args.video_root or osp.dirname(osp.abspath(args.list))
    if not osp.isfile(args.list):
        raise ValueError(f'{args.list}: no such list file.')
    videos = read_list(args.list, video_root)
    if videos:
        check_cell_size(args.cell_size, videos[0][0],
                        first_frame_shape(videos[0][0]))
    check_no_links(args.out_dir, [key for _, key in videos])
    check_writable(args.out_dir)
    # Held from the manifest check to the end: two runs with different
    # settings cannot both pass the check and then mix their files.
    lock = lock_out_dir(args.out_dir)
    try:
        check_manifest(args.out_dir, settings)
    except BaseException:
        lock.close()
        raise
    return settings, videos, lock


def extract(args: argparse.Namespace) -> int:
    """Run the extraction; returns the exit status."""
    try:
        settings, videos, lock = prepare(args)
    except ValueError as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    with lock:
        return _extract_locked(args, settings, videos)


def _extract_locked(args: argparse.Namespace, settings: Dict,
                    videos: List[Tuple[str, str]]) -> int:
    """The extraction proper, while this run holds OUT_DIR's lock."""
    removed = remove_stale_temporaries(args.out_dir)
    jobs = [(video, osp.join(args.out_dir, key + '.npy'), settings,
             args.chunk) for video, key in videos]
    todo = [job for job in jobs
            if not is_complete(job[1], settings['traj_len'])]
    redone = sum(osp.exists(job[1]) for job in todo)
    print(f'{len(jobs)} videos, {len(jobs) - len(todo)} already done'
          + (f'; {redone} incomplete outputs will be extracted again'
             if redone else '')
          + (f'; removed {removed} temporary files of killed runs.'
             if removed else '.'))
    if todo and not osp.exists(osp.join(args.out_dir, 'manifest.json')):
        write_manifest(args.out_dir, args.traj_len, args.cell_size,
                       settings['flow'])
    failures = read_failures(args.out_dir)
    failed_now = 0
    # One process per core already; and an OpenCV thread pool that has run
    # deadlocks the processes forked from it.
    cv2.setNumThreads(1)
    try:
        for job, reason in tqdm(
                run_isolated(todo, extract_one, args.workers),
                total=len(todo), unit='video', dynamic_ncols=True):
            video = job[0]
            failures.pop(video, None)
            if reason is not None:
                failures[video] = ' '.join(reason.split())
                failed_now += 1
                tqdm.write(f'FAILED {video}: {reason}')
    finally:
        # Videos of the list that are done since are no failures any more.
        done = {job[0] for job in jobs if osp.exists(job[1])}
        write_failures(args.out_dir,
                       {v: r for v, r in failures.items() if v not in done})
    if failed_now:
        print(f'{failed_now} of {len(todo)} videos failed: see '
              f'{osp.join(args.out_dir, FAILURES)}', file=sys.stderr)
        return 1
    print(f'Done: {len(jobs)} videos in {args.out_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(extract(parse_args()))

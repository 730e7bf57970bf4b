"""Build a label-free video list for pre-training, from folders and lists.

Collects videos from directories (``--dir``, searched recursively for files
with the ``--exts`` extensions, following links to folders but searching
each real folder once: links back into the directory, loops included, are
skipped) and from existing MMAction2 list files
(``--list LIST VIDEO_DIR``: the video paths, relative to VIDEO_DIR, of
lists in MMAction2's format, checked line by line as the datasets check
them), and writes OUT_LIST with one ``<path> 0`` line per video, sorted,
without duplicates, paths relative to ROOT. Several sources merge into one
list, e.g. K400 train and SSv2 train for combined pre-training.

Pre-training ignores labels; every line gets ``0``, like the training lists'
``<path> <label>`` lines (pre-training configs set no ``num_classes``, so
any label from 0 is valid).

ROOT (``--root``) must hold every video. By default it is the deepest
directory holding all sources, e.g. ``data`` for ``data/kinetics400/
videos_train`` and ``data/sthv2/videos``. Point the config's
``data_prefix=dict(video=ROOT)`` at it.

List entries whose video does not exist are dropped and reported.
``--min-frames N`` opens every video with decord and drops, and reports,
those with fewer than N frames or that decord cannot read.

Usage:
    python tools/data/build_pretrain_list.py OUT_LIST [--dir DIR ...]
        [--list LIST VIDEO_DIR ...] [--root ROOT] [--exts mp4 webm mkv avi]
        [--min-frames N] [--workers N]
"""
import argparse
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Optional, Sequence

VIDEO_EXTS = ('mp4', 'webm', 'mkv', 'avi')
_MAX_SHOWN = 10  # dropped videos named in the CLI report


class SourceError(ValueError):
    """A source is missing or a video cannot be written into the list."""


def scan_dir(video_dir: str, exts: Sequence[str] = VIDEO_EXTS) -> list[str]:
    """Find the videos under a directory, each once.

    Links to folders are followed, since datasets are often linked in from
    elsewhere, but each real folder is searched once: a link to a folder
    inside ``video_dir`` (or to ``video_dir`` itself, a loop) is skipped,
    as its videos are found by their own path; a folder outside reached by
    several links (or by a loop out there) is listed under the first path
    of the walk, which visits folders in sorted order.

    Args:
        video_dir: Directory searched recursively.
        exts: Video extensions, without dots, matched case-insensitively.

    Returns:
        Sorted absolute paths, through the links followed. Hidden files and
        folders are skipped: they hold no videos, only things like macOS's
        ``._name.mp4`` metadata.

    Raises:
        SourceError: If ``video_dir`` is not a directory.
    """
    if not os.path.isdir(video_dir):
        raise SourceError(f'{video_dir}: not a directory')
    suffixes = tuple('.' + e.lower().lstrip('.') for e in exts)
    top = os.path.abspath(video_dir)
    real_top = os.path.realpath(top)
    searched = {real_top}
    found = []
    for dirpath, dirnames, files in os.walk(top, followlinks=True):
        kept = []
        for name in sorted(dirnames):
            path = os.path.join(dirpath, name)
            real = os.path.realpath(path)
            inside = os.path.commonpath([real, real_top]) == real_top
            if name.startswith('.') or real in searched or (
                    os.path.islink(path) and inside):
                continue
            searched.add(real)
            kept.append(name)
        dirnames[:] = kept
        found.extend(os.path.join(dirpath, name) for name in files
                     if not name.startswith('.')
                     and name.lower().endswith(suffixes))
    return sorted(found)


def read_list(list_file: str, video_dir: str) -> list[str]:
    """Read the video paths of an MMAction2 list file.

    The list is read as ``CheckedVideoDataset`` reads it (any labels, or
    none).

    Args:
        list_file: MMAction2 video list.
        video_dir: Directory the list's paths are relative to.

    Returns:
        Absolute paths in file order (existing or not).

    Raises:
        SourceError: If the list file is missing, empty or has a bad line
            (naming the line).
    """
    # Deferred: only --list needs the package, which imports torch.
    from mme_mmaction.datasets.video_list import read_video_list
    try:
        entries = read_video_list(list_file)
    except FileNotFoundError:
        raise SourceError(f'{list_file}: file not found') from None
    except ValueError as error:
        raise SourceError(str(error)) from None
    return [os.path.abspath(os.path.join(video_dir, entry.path))
            for entry in entries]


def count_frames(path: str) -> Optional[int]:
    """Number of frames decord sees in a video, None if it cannot read it."""
    import decord  # deferred: only --min-frames needs it
    try:
        return len(decord.VideoReader(path, num_threads=1))
    except (RuntimeError, decord.DECORDError):
        return None


def _relative(path: str, root: str) -> str:
    """``path`` relative to ``root`` as a list entry, or a SourceError."""
    rel = os.path.relpath(path, root).replace(os.sep, '/')
    if rel.startswith('../'):
        raise SourceError(f'{path}: not under the root {root}')
    if any(c.isspace() for c in rel):
        raise SourceError(
            f"{path}: whitespace in the path breaks VideoDataset's "
            'space-separated lists; rename it')
    return rel


def build_pretrain_list(out_list: str, dirs: Sequence[str] = (),
                        lists: Sequence[tuple[str, str]] = (),
                        root: Optional[str] = None,
                        exts: Sequence[str] = VIDEO_EXTS,
                        min_frames: int = 0, workers: int = 1) -> dict:
    """Write a sorted, de-duplicated ``<path> 0`` list of the sources' videos.

    Args:
        out_list: Output list file (its directory is created if missing).
        dirs: Directories to search for videos.
        lists: ``(list file, video dir)`` pairs.
        root: Directory the written paths are relative to; by default the
            deepest one holding every directory of ``dirs`` and ``lists``.
        exts: Video extensions searched for in ``dirs``.
        min_frames: If positive, drop videos with fewer frames (by decord)
            or that decord cannot read.
        workers: Threads counting frames for ``min_frames`` (at least 1).

    Returns:
        Dict with ``root`` (absolute), ``num_videos`` (listed),
        ``duplicates`` (videos found more than once, listed once),
        ``missing`` (list entries without a file), ``short`` (``(path,
        frames)`` below ``min_frames``) and ``unreadable``; paths relative
        to ``root``.

    Raises:
        SourceError: If there is no source, a source is missing, or a video
            is outside ``root`` or has whitespace in its path.
    """
    if not dirs and not lists:
        raise SourceError('no source: give at least one directory or list')
    paths, missing = [], []
    for video_dir in dirs:
        paths.extend(scan_dir(video_dir, exts))
    for list_file, video_dir in lists:
        for path in read_list(list_file, video_dir):
            (paths if os.path.isfile(path) else missing).append(path)
    source_dirs = [os.path.abspath(d) for d in dirs] + \
        [os.path.abspath(d) for _, d in lists]
    root = os.path.abspath(root) if root else os.path.commonpath(source_dirs)
    unique = sorted(set(paths))
    rels = [_relative(p, root) for p in unique]
    short, unreadable = [], []
    if min_frames > 0:
        # Threads suffice: decord opens videos in C without the GIL.
        with ThreadPoolExecutor(max(1, workers)) as pool:
            counts = list(pool.map(count_frames, unique))
        kept = []
        for rel, count in zip(rels, counts):
            if count is None:
                unreadable.append(rel)
            elif count < min_frames:
                short.append((rel, count))
            else:
                kept.append(rel)
        rels = kept
    os.makedirs(os.path.dirname(os.path.abspath(out_list)), exist_ok=True)
    with open(out_list, 'w') as f:
        f.writelines(f'{rel} 0\n' for rel in rels)
    return dict(root=root, num_videos=len(rels),
                duplicates=len(paths) - len(unique),
                missing=[os.path.relpath(p, root).replace(os.sep, '/')
                         for p in missing],
                short=short, unreadable=unreadable)


def _report(what: str, items: list[str]) -> None:
    """Print how many videos were dropped, and the first few."""
    if items:
        more = ', ...' if len(items) > _MAX_SHOWN else ''
        print(f'dropped {len(items)} {what}: '
              f'{", ".join(items[:_MAX_SHOWN])}{more}')


def main() -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('out_list', help='list file to write')
    parser.add_argument('--dir', action='append', default=[],
                        dest='dirs', metavar='DIR',
                        help='directory of videos (repeatable)')
    parser.add_argument('--list', action='append', default=[], nargs=2,
                        dest='lists', metavar=('LIST', 'VIDEO_DIR'),
                        help='list file and its video root (repeatable)')
    parser.add_argument('--root', help='directory the written paths are '
                        'relative to (default: deepest common one)')
    parser.add_argument('--exts', nargs='+', default=list(VIDEO_EXTS),
                        help='video extensions (default: %(default)s)')
    parser.add_argument('--min-frames', type=int, default=0, metavar='N',
                        help='drop videos with fewer frames (needs decord)')
    parser.add_argument('--workers', type=int, default=1,
                        help='threads counting frames (default: 1)')
    args = parser.parse_args()
    try:
        info = build_pretrain_list(args.out_list, args.dirs,
                                   [tuple(pair) for pair in args.lists],
                                   args.root, args.exts, args.min_frames,
                                   args.workers)
    except SourceError as error:
        sys.exit(f'error: {error}')
    _report('list entries without a video file', info['missing'])
    _report(f'videos with fewer than {args.min_frames} frames',
            [f'{p} ({n})' for p, n in info['short']])
    _report('videos decord cannot read', info['unreadable'])
    if info['duplicates']:
        print(f'{info["duplicates"]} videos appeared more than once')
    # Relative to here is what a config run from here can use.
    root = os.path.relpath(info['root'])
    root = info['root'] if root.split(os.sep)[0] == os.pardir else root
    print(f'{info["num_videos"]} videos -> {args.out_list} '
          f'(paths relative to {root}: data_prefix=dict(video={root!r}))')
    if not info['num_videos']:
        sys.exit('error: no video listed')


if __name__ == '__main__':
    main()

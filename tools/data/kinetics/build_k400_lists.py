"""Build an MMAction2 video list for Kinetics-400 from the official CSV.

Reads an official annotation CSV (``train.csv``, ``validate.csv``: columns
``label,youtube_id,time_start,time_end,split[,is_cc]``), finds each clip's
video under VIDEO_DIR and writes OUT_LIST, one ``<path> <label index>`` line
per clip found, in CSV order, with paths relative to VIDEO_DIR (the
``data_prefix`` of the config).

A clip's file is ``<youtube_id>_<time_start:06d>_<time_end:06d>.<ext>``
anywhere under VIDEO_DIR: in class folders (``abseiling/...``; folder names
with spaces replaced by underscores, or kept) or in one flat directory. If a
clip's file exists in several places, the one in its own class folder wins.

Downloads of Kinetics are rarely complete, so clips without a video are left
out of the list and counted in the report.

Label indices: without ``--label-map``, a class's index is its position in
the sorted class names of the CSV, compared with spaces replaced by
underscores, exactly as MMAction2's ``tools/data/build_file_list.py`` does.
For Kinetics-400 that order is MMAction2's ``label_map_k400.txt``. A CSV
with fewer than 400 classes gives other indices (with a warning); pass
``--label-map FILE`` (one class name per line, index = line number) to fix
them. Class names match with spaces and underscores treated alike.

Usage:
    python tools/data/kinetics/build_k400_lists.py CSV VIDEO_DIR OUT_LIST
        [--label-map FILE] [--exts mp4 webm mkv avi]
"""
import argparse
import csv
import os
import sys
from typing import NamedTuple, Optional, Sequence

VIDEO_EXTS = ('mp4', 'webm', 'mkv', 'avi')
NUM_CLASSES = 400
_COLUMNS = ('label', 'youtube_id', 'time_start', 'time_end')
_MAX_SHOWN = 10  # missing clips named in the CLI report


class AnnotationError(ValueError):
    """An input is missing or malformed, or a path cannot be listed."""


class Clip(NamedTuple):
    """One CSV row: its class name and the stem of its video file."""

    label: str
    stem: str


def class_key(name: str) -> str:
    """Key under which class names compare (MMAction2's ``convert_label``).

    Quotes are dropped and spaces become underscores, so a class folder on
    disk, a CSV label and a label-map line name the same class either way.
    """
    return name.replace('"', '').strip().replace(' ', '_')


def read_csv(path: str) -> list[Clip]:
    """Read an official Kinetics annotation CSV.

    Args:
        path: CSV with a header naming at least ``label``, ``youtube_id``,
            ``time_start`` and ``time_end``.

    Returns:
        One :class:`Clip` per row, in file order.

    Raises:
        AnnotationError: If the file is missing, lacks a column, a row is
            short, or a time is not a number.
    """
    try:
        with open(path, newline='', encoding='utf-8') as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames or []
            missing = [c for c in _COLUMNS if c not in header]
            if missing:
                raise AnnotationError(
                    f'{path}: no column {", ".join(missing)} in the header '
                    f'{header}')
            clips = []
            for row in reader:
                if any(row[c] is None for c in _COLUMNS):
                    raise AnnotationError(
                        f'{path}:{reader.line_num}: fewer fields than the '
                        'header')
                try:
                    # Times are whole seconds, written "14" or "14.0".
                    start, end = (int(float(row[c]))
                                  for c in ('time_start', 'time_end'))
                except ValueError:
                    raise AnnotationError(
                        f'{path}:{reader.line_num}: time_start/time_end '
                        f'{row["time_start"]!r}, {row["time_end"]!r} are not '
                        'numbers') from None
                clips.append(Clip(row['label'],
                                  f'{row["youtube_id"]}_{start:06d}_'
                                  f'{end:06d}'))
    except FileNotFoundError:
        raise AnnotationError(f'{path}: file not found') from None
    return clips


def load_label_map(path: str) -> dict[str, int]:
    """Read a label map: one class name per line, index = line number.

    Args:
        path: Label map such as MMAction2's ``label_map_k400.txt``.

    Returns:
        :func:`class_key` of each class -> index.

    Raises:
        AnnotationError: If the file is missing, empty or repeats a class.
    """
    try:
        with open(path, encoding='utf-8') as f:
            names = [line.strip() for line in f if line.strip()]
    except FileNotFoundError:
        raise AnnotationError(f'{path}: file not found') from None
    label_map = {}
    for index, name in enumerate(names):
        if class_key(name) in label_map:
            raise AnnotationError(f'{path}: class {name!r} appears twice')
        label_map[class_key(name)] = index
    if not label_map:
        raise AnnotationError(f'{path}: no class names')
    return label_map


def sorted_label_map(class_names: Sequence[str]) -> dict[str, int]:
    """Index classes by their sorted :func:`class_key`, as MMAction2 does."""
    return {key: i for i, key in enumerate(sorted(set(map(class_key,
                                                          class_names))))}


def index_videos(video_dir: str,
                 exts: Sequence[str] = VIDEO_EXTS) -> dict[str, list[str]]:
    """Find the videos under a directory, by file stem.

    Args:
        video_dir: Directory searched recursively (symlinks followed, since
            datasets are often linked in from elsewhere).
        exts: Video extensions, without dots, matched case-insensitively.

    Returns:
        File stem -> sorted paths relative to ``video_dir``, with ``/``.

    Raises:
        AnnotationError: If ``video_dir`` is not a directory.
    """
    if not os.path.isdir(video_dir):
        raise AnnotationError(f'{video_dir}: not a directory')
    suffixes = tuple('.' + e.lower().lstrip('.') for e in exts)
    index: dict[str, list[str]] = {}
    for dirpath, _, files in os.walk(video_dir, followlinks=True):
        rel_dir = os.path.relpath(dirpath, video_dir)
        for name in files:
            stem, ext = os.path.splitext(name)
            if ext.lower() in suffixes:
                rel = name if rel_dir == '.' else f'{rel_dir}/{name}'
                index.setdefault(stem, []).append(rel.replace(os.sep, '/'))
    for paths in index.values():
        paths.sort()
    return index


def _pick(paths: list[str], label: str) -> str:
    """The path in the clip's own class folder if any, else the first."""
    for path in paths:
        if class_key(os.path.basename(os.path.dirname(path))) == \
                class_key(label):
            return path
    return paths[0]


def build_k400_list(csv_path: str, video_dir: str, out_list: str,
                    label_map_path: Optional[str] = None,
                    exts: Sequence[str] = VIDEO_EXTS) -> dict:
    """Write the list of the CSV's clips that have a video under video_dir.

    Args:
        csv_path: Official annotation CSV.
        video_dir: Root of the videos; list paths are relative to it.
        out_list: Output list file (its directory is created if missing).
        label_map_path: Optional label map; without it the CSV's sorted
            class names are the map.
        exts: Video extensions searched for.

    Returns:
        Dict with ``num_rows`` (CSV rows), ``num_listed``, ``missing`` (file
        stems of the rows without a video), ``duplicates`` (rows repeating
        an earlier clip, listed once) and ``num_classes``.

    Raises:
        AnnotationError: If an input is missing or malformed, a CSV label is
            not in the label map, or a listed path contains whitespace
            (``VideoDataset`` splits list lines at spaces).
    """
    clips = read_csv(csv_path)
    if label_map_path is None:
        label_map = sorted_label_map([c.label for c in clips])
    else:
        label_map = load_label_map(label_map_path)
    videos = index_videos(video_dir, exts)
    lines, missing, seen, duplicates = [], [], set(), 0
    for clip in clips:
        key = class_key(clip.label)
        if key not in label_map:
            raise AnnotationError(
                f'{csv_path}: class {clip.label!r} (clip {clip.stem}) is not '
                f'in {label_map_path}')
        if clip.stem in seen:
            duplicates += 1
            continue
        seen.add(clip.stem)
        if clip.stem not in videos:
            missing.append(clip.stem)
            continue
        path = _pick(videos[clip.stem], clip.label)
        if any(c.isspace() for c in path):
            raise AnnotationError(
                f'{video_dir}/{path}: whitespace in the path breaks '
                "VideoDataset's space-separated lists; rename the class "
                'folders with underscores, as MMAction2 does')
        lines.append(f'{path} {label_map[key]}\n')
    os.makedirs(os.path.dirname(os.path.abspath(out_list)), exist_ok=True)
    with open(out_list, 'w') as f:
        f.writelines(lines)
    return dict(num_rows=len(clips), num_listed=len(lines), missing=missing,
                duplicates=duplicates, num_classes=len(label_map))


def main() -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('csv', help='official annotation CSV')
    parser.add_argument('video_dir', help='root of the downloaded videos')
    parser.add_argument('out_list', help='list file to write')
    parser.add_argument('--label-map', metavar='FILE',
                        help='class names, one a line (index = line number)')
    parser.add_argument('--exts', nargs='+', default=list(VIDEO_EXTS),
                        help='video extensions (default: %(default)s)')
    args = parser.parse_args()
    try:
        info = build_k400_list(args.csv, args.video_dir, args.out_list,
                               args.label_map, args.exts)
    except AnnotationError as error:
        sys.exit(f'error: {error}')
    if args.label_map is None and info['num_classes'] != NUM_CLASSES:
        print(f'warning: {args.csv} has {info["num_classes"]} classes, not '
              f'{NUM_CLASSES}: label indices differ from MMAction2\'s '
              'label_map_k400.txt; pass --label-map to fix them',
              file=sys.stderr)
    print(f'{info["num_listed"]} of {info["num_rows"]} CSV rows listed -> '
          f'{args.out_list}')
    if info['duplicates']:
        print(f'{info["duplicates"]} CSV rows repeat an earlier clip')
    if info['missing']:
        shown = ', '.join(info['missing'][:_MAX_SHOWN])
        more = ', ...' if len(info['missing']) > _MAX_SHOWN else ''
        print(f'{len(info["missing"])} CSV rows have no video in '
              f'{args.video_dir}: {shown}{more}')
    if not info['num_listed']:
        sys.exit(f'error: no video of {args.csv} found in {args.video_dir}')


if __name__ == '__main__':
    main()

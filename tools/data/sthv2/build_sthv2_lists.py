"""Build MMAction2 video list files for Something-Something V2 (SSv2).

Reads the official annotations in ANNO_DIR:

- ``something-something-v2-labels.json``: template -> label id (a string),
  e.g. ``{"Approaching something with your camera": "0", ...}``;
- ``something-something-v2-train.json`` and
  ``something-something-v2-validation.json``: lists of
  ``{"id": "78687", "template": "Holding [something] next to [something]",
  ...}``.

and writes ``sthv2_train_list_videos.txt`` and ``sthv2_val_list_videos.txt``
to OUT_DIR, one ``<id>.<ext> <label>`` line per video in annotation order,
the format of MMAction2's ``VideoDataset``. A video's label is the id of its
template with the brackets removed, as in MMAction2's
``tools/data/parse_file_list.py``: "Holding [something] next to [something]"
is looked up as "Holding something next to something".

No test list is written: ``something-something-v2-test.json`` has no labels,
and ``VideoDataset`` needs an integer label on every line.

Usage:
    python tools/data/sthv2/build_sthv2_lists.py ANNO_DIR OUT_DIR
        [--video-ext webm] [--check-videos VIDEO_DIR]

``--check-videos`` reports the listed videos missing from VIDEO_DIR and
exits with status 1 if there are any (the lists are written all the same).
"""
import argparse
import json
import os
import sys
from typing import Any, Optional

LABELS_FILE = 'something-something-v2-labels.json'
SPLIT_FILES = {
    'train': 'something-something-v2-train.json',
    'val': 'something-something-v2-validation.json',
}
LIST_FILE = 'sthv2_{split}_list_videos.txt'
_MAX_SHOWN = 10  # missing videos named in the CLI report


class AnnotationError(ValueError):
    """An annotation file is missing or does not hold what SSv2's does."""


def load_json(path: str) -> Any:
    """Load a JSON file, with errors that name the file.

    Args:
        path: JSON file.

    Returns:
        The decoded JSON value.

    Raises:
        AnnotationError: If the file is missing or is not valid JSON.
    """
    try:
        with open(path, encoding='utf-8') as f:
            return json.load(f)
    except FileNotFoundError:
        raise AnnotationError(f'{path}: file not found') from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise AnnotationError(f'{path}: not valid JSON ({error})') from None


def load_label_map(path: str) -> dict[str, int]:
    """Read ``something-something-v2-labels.json``.

    Args:
        path: The labels file.

    Returns:
        Bracket-free template -> integer label.

    Raises:
        AnnotationError: If the file is missing, malformed, or a label id is
            not an integer.
    """
    data = load_json(path)
    if not isinstance(data, dict) or not data:
        raise AnnotationError(
            f'{path}: expected a non-empty JSON object mapping templates to '
            'label ids')
    label_map = {}
    for template, label in data.items():
        try:
            label_map[template] = int(label)
        except (TypeError, ValueError):
            raise AnnotationError(
                f'{path}: label id of {template!r} is {label!r}, not an '
                'integer') from None
    return label_map


def template_key(template: str) -> str:
    """Key of a video's template in the labels file: brackets removed."""
    return template.replace('[', '').replace(']', '')


def parse_split(path: str, label_map: dict[str, int],
                labels_path: str = LABELS_FILE) -> list[tuple[str, int]]:
    """Read one split's annotation file.

    Args:
        path: ``something-something-v2-{train,validation}.json``.
        label_map: Output of :func:`load_label_map`.
        labels_path: Where ``label_map`` came from, named in errors.

    Returns:
        ``(video id, label)`` pairs in file order.

    Raises:
        AnnotationError: If the file is missing or malformed, or a template
            is not in the labels file.
    """
    data = load_json(path)
    if not isinstance(data, list):
        raise AnnotationError(f'{path}: expected a JSON list of videos, got '
                              f'{type(data).__name__}')
    items = []
    for i, entry in enumerate(data):
        if not (isinstance(entry, dict) and 'id' in entry
                and isinstance(entry.get('template'), str)):
            raise AnnotationError(
                f'{path}: entry {i} has no "id" or "template": '
                f'{entry!r:.200}')
        key = template_key(entry['template'])
        if key not in label_map:
            raise AnnotationError(
                f'{path}: video {entry["id"]}: template '
                f'{entry["template"]!r} (looked up as {key!r}) is not in '
                f'{labels_path}')
        items.append((str(entry['id']), label_map[key]))
    return items


def build_sthv2_lists(anno_dir: str, out_dir: str, video_ext: str = 'webm',
                      video_dir: Optional[str] = None) -> dict[str, dict]:
    """Write the train and val list files of SSv2.

    Every annotation file is parsed before anything is written, so a
    malformed file leaves no partial output.

    Args:
        anno_dir: Directory holding the official annotation files.
        out_dir: Where the list files go (created if missing).
        video_ext: Video file extension, with or without the dot.
        video_dir: If given, the listed videos are looked up there and the
            missing ones are reported in the result.

    Returns:
        Per split (``'train'``, ``'val'``): ``list`` (output path),
        ``num_videos`` and ``missing`` (file names absent from
        ``video_dir``; empty when it is not given).

    Raises:
        AnnotationError: If an annotation file is missing or malformed, or
            a template is not in the labels file.
    """
    ext = video_ext.lstrip('.')
    labels_path = os.path.join(anno_dir, LABELS_FILE)
    label_map = load_label_map(labels_path)
    splits = {
        split: parse_split(os.path.join(anno_dir, name), label_map,
                           labels_path)
        for split, name in SPLIT_FILES.items()
    }
    os.makedirs(out_dir, exist_ok=True)
    result = {}
    for split, items in splits.items():
        names = [f'{vid}.{ext}' for vid, _ in items]
        out = os.path.join(out_dir, LIST_FILE.format(split=split))
        with open(out, 'w') as f:
            f.writelines(f'{name} {label}\n'
                         for name, (_, label) in zip(names, items))
        missing = [] if video_dir is None else [
            n for n in names
            if not os.path.isfile(os.path.join(video_dir, n))
        ]
        result[split] = dict(list=out, num_videos=len(items),
                             missing=missing)
    return result


def main() -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('anno_dir', help='directory of the SSv2 json files')
    parser.add_argument('out_dir', help='where the list files are written')
    parser.add_argument('--video-ext', default='webm',
                        help='video file extension (default: webm)')
    parser.add_argument(
        '--check-videos', metavar='VIDEO_DIR',
        help='report listed videos missing from VIDEO_DIR; exit 1 if any')
    args = parser.parse_args()
    try:
        result = build_sthv2_lists(args.anno_dir, args.out_dir,
                                   args.video_ext, args.check_videos)
    except AnnotationError as error:
        sys.exit(f'error: {error}')
    num_missing = 0
    for split, info in result.items():
        print(f'{split}: {info["num_videos"]} videos -> {info["list"]}')
        if info['missing']:
            num_missing += len(info['missing'])
            shown = ', '.join(info['missing'][:_MAX_SHOWN])
            more = len(info['missing']) > _MAX_SHOWN
            print(f'  {len(info["missing"])} missing from '
                  f'{args.check_videos}: {shown}{", ..." if more else ""}',
                  file=sys.stderr)
    if num_missing:
        sys.exit(f'error: {num_missing} listed videos are missing')


if __name__ == '__main__':
    main()

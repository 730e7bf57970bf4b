"""MMAction2 video lists read with errors that name the file and line."""
import os.path as osp
import re
from typing import List, NamedTuple, Optional, Tuple, Union

from mmaction.datasets import VideoDataset
from mmaction.registry import DATASETS
from mmengine.fileio import list_from_file

_INTEGER = re.compile(r'[+-]?[0-9]+')
_MAX_REPORTED = 20  # bad lines named in one error
# A delimiter's name: (one, several).
_NAMES = {' ': ('a space', 'spaces'), '\t': ('a tab', 'tabs')}


class VideoListEntry(NamedTuple):
    """One video of a list file.

    Attributes:
        line (int): Its line number in the list file, from 1.
        path (str): The video's path as written in the list.
        label (int | list[int]): Its class index; -1 in a list without
            labels; the list of its class indices in a multi-class list.
    """
    line: int
    path: str
    label: Union[int, List[int]]


def _names(delimiter: str) -> Tuple[str, str]:
    """How messages call one and several ``delimiter``."""
    return _NAMES.get(delimiter,
                      (f'a {delimiter!r}', f'{delimiter!r} delimiters'))


def _split(text: str, delimiter: str) -> Tuple[str, List[str]]:
    """The path and the label fields of a stripped, non-blank line.

    The labels are the trailing integer fields, so that the problem of a
    bad line can be told: several delimiters before a label, a delimiter
    inside the path, a field that is no integer.

    Raises:
        ValueError: The problem and its fix, without file and line.
    """
    one, several = _names(delimiter)
    if delimiter == ' ':
        # MMAction2 splits at spaces only: 'a.mp4<TAB>3' would be a video
        # named so, without a label.
        other = next((c for c in text if c.isspace() and c != delimiter),
                     None)
        if other is not None:
            what = 'a tab' if other == '\t' else f'whitespace {other!r}'
            raise ValueError(
                f'{what} in {text!r}: separate path and label by a '
                'space; a file name must not contain whitespace')
    fields = text.split(delimiter)
    start = len(fields)
    while start > 1 and (not fields[start - 1]
                         or _INTEGER.fullmatch(fields[start - 1])):
        start -= 1
    path, labels = delimiter.join(fields[:start]), fields[start:]
    if start > 1 and not labels:
        raise ValueError(
            f'the label {fields[start - 1]!r} is not an integer (if '
            f'{path!r} is one file name: {one} in a file name splits it '
            'into fields; rename the file)')
    if start > 1:
        raise ValueError(
            f'{one} in the file name {path!r} (or a field that is neither '
            f'path nor label): the list separates fields by {one}, so '
            f'rename the file (e.g. {several} to underscores) and its list '
            'entry')
    if not path:
        raise ValueError(f'no path before the label in {text!r}')
    if labels and not labels[-1]:
        raise ValueError(f'{one} at the end of {text!r}: remove it')
    if labels and not labels[0]:
        count = labels.index(next(f for f in labels if f)) + 1
        raise ValueError(f'{count} {several} between path and label: '
                         f'separate them by {one}')
    if '' in labels:
        raise ValueError(f'{several} in a row between the labels of '
                         f'{text!r}: separate labels by {one}')
    return path, labels


def _label(fields: List[str], multi_class: bool,
           num_classes: Optional[int]) -> Union[int, List[int], None]:
    """The checked label of a line's label fields, None if it has none.

    Raises:
        ValueError: The problem and its fix, without file and line.
    """
    if len(fields) > 1 and not multi_class:
        raise ValueError(
            f'{len(fields)} labels ({" ".join(fields)}) for a single-label '
            'dataset: give one label per video, or set multi_class=True '
            '(with num_classes) for several')
    labels = [int(f) for f in fields]
    for label in labels:
        if label < 0:
            raise ValueError(
                f'label {label} is negative: labels are class indices from '
                '0 (leave the labels out of every line for a list without '
                'labels)')
        if num_classes is not None and label >= num_classes:
            raise ValueError(
                f'label {label} is out of range for num_classes='
                f'{num_classes} (labels 0 to {num_classes - 1}): fix the '
                "label, or the dataset's num_classes")
    if multi_class:
        return labels
    return labels[0] if labels else None


def _report(list_file: str, problems: List[Tuple[int, str]]) -> str:
    """``<list file>:<line>: <problem>`` lines of the first problems."""
    lines = [f'{list_file}:{line}: {problem}'
             for line, problem in problems[:_MAX_REPORTED]]
    if len(problems) > _MAX_REPORTED:
        lines.append(f'... and {len(problems) - _MAX_REPORTED} more bad '
                     f'lines in {list_file}')
    return '\n'.join(lines)


def read_video_list(list_file: str,
                    num_classes: Optional[int] = None,
                    multi_class: bool = False,
                    delimiter: str = ' ') -> List[VideoListEntry]:
    """Read an MMAction2 video list, checking every line.

    The format is MMAction2's ``VideoDataset``'s: one video per line, its
    path and its integer label separated by ``delimiter``
    (``some/path/000.mp4 1``); several labels per line with
    ``multi_class``; or, in a list for inference, the path alone (label -1).
    Blank lines are skipped and whitespace around a line is ignored.

    Args:
        list_file: The list file (local or an mmengine file backend URI).
        num_classes: If given, labels must be below it.
        multi_class: Lines hold any number of labels (MMAction2 then needs
            ``num_classes``).
        delimiter: What separates the fields. Defaults to a space.

    Returns:
        The videos in file order.

    Raises:
        FileNotFoundError: If ``list_file`` does not exist.
        ValueError: Naming ``<list file>:<line number>`` and the problem and
            its fix for every bad line (the first 20 of them): a delimiter
            inside the path or repeated before a label, whitespace other
            than the default space delimiter, a label that is not an integer,
            negative or not below ``num_classes``, several labels without
            ``multi_class``, or a line without a label in a list whose
            other lines have one (or the reverse). Also if the list is empty
            or not UTF-8 text, or if ``multi_class`` lacks ``num_classes``.
    """
    if not delimiter:
        raise ValueError(f'{list_file}: the delimiter must not be empty')
    if multi_class and num_classes is None:
        raise ValueError(f'{list_file}: a multi-class list needs '
                         'num_classes: set it in the dataset')
    try:
        lines = list_from_file(list_file)
    except FileNotFoundError:
        raise FileNotFoundError(
            f'{list_file}: no such video list file') from None
    except UnicodeDecodeError as error:
        raise ValueError(f'{list_file}: not UTF-8 text ({error}): save the '
                         'list as UTF-8') from None
    entries, problems = [], []
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text:
            continue
        try:
            path, fields = _split(text, delimiter)
            label = _label(fields, multi_class, num_classes)
        except ValueError as error:
            problems.append((number, str(error)))
            continue
        entries.append(VideoListEntry(number, path, label))
    if problems:
        raise ValueError(_report(list_file, problems))
    if not entries:
        raise ValueError(f'{list_file}: the video list is empty: it needs '
                         "one '<path> <label>' line per video")
    return _with_fake_labels(list_file, entries)


def _with_fake_labels(list_file: str,
                      entries: List[VideoListEntry]) -> List[VideoListEntry]:
    """Entries without a label given MMAction2's -1, if none has one.

    Raises:
        ValueError: Naming the lines of the fewer kind, if some lines have a
            label and others do not: a forgotten label would otherwise
            reach the loss as -1.
    """
    unlabelled = [entry for entry in entries if entry.label is None]
    if not unlabelled:
        return entries
    if len(unlabelled) == len(entries):
        return [entry._replace(label=-1) for entry in entries]
    labelled = [entry for entry in entries if entry.label is not None]
    odd, usual = sorted((unlabelled, labelled), key=len)
    what = 'no label' if odd is unlabelled else 'a label'
    raise ValueError(_report(list_file, [
        (entry.line, f'{what}, unlike line {usual[0].line}: give every '
         'video a label, or none (a list for inference)') for entry in odd
    ]))


@DATASETS.register_module()
class CheckedVideoDataset(VideoDataset):
    """``VideoDataset`` whose list file is checked line by line.

    MMAction2's splits each line at the delimiter and fails with bare
    ``ValueError``s, or silently reads a wrong entry (a blank line is a
    video named ``''``; ``a.mp4<TAB>3`` a video without a label). This one
    reads the list with :func:`read_video_list`: blank lines are skipped
    and every bad line is an error naming the list file, the line number,
    the problem and its fix. A good list gives exactly MMAction2's samples.

    Args:
        ann_file (str): Path to the list file.
        pipeline (list): Transforms of a sample.
        num_classes (int, optional): Number of classes. Unlike MMAction2,
            also used without ``multi_class``: labels must be below it.
            Defaults to None (any label from 0).
        **kwargs: Other arguments of ``VideoDataset``.
    """

    def load_data_list(self) -> List[dict]:
        """The videos of the list file, checked.

        Returns:
            list[dict]: ``filename`` (below ``data_prefix['video']``) and
            ``label`` per video.
        """
        entries = read_video_list(self.ann_file, self.num_classes,
                                  self.multi_class, self.delimiter)
        return [
            dict(filename=osp.join(self.data_prefix['video'], entry.path),
                 label=entry.label) for entry in entries
        ]

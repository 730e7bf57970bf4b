"""Tell a complete PyTorch checkpoint file from one that is not, cheaply.

``torch.load`` on an empty, truncated or text file fails with messages that
name no file and advise ``weights_only=False``. These checks read the
file's first bytes and, for the zip format torch writes, its directory
(which a truncated file lacks, as it is written last), and name the file
and what it is.
"""
import os
import os.path as osp
import re
import zipfile
from typing import List, Optional

_ZIP_MAGIC = b'PK\x03\x04'
# torch's legacy format starts with a pickle (protocol 2+).
_PICKLE_MAGIC = b'\x80'
_CHECKPOINT_NAME = re.compile(r'(?:epoch|iter)_(\d+)\.pth$')


class CheckpointFileError(ValueError):
    """A checkpoint file is missing, empty, truncated or of another kind."""


def checkpoint_problem(path: str) -> Optional[str]:
    """What keeps ``path`` from being a complete PyTorch checkpoint.

    Args:
        path (str): A local file.

    Returns:
        str | None: E.g. ``'is empty (0 bytes)'``, or None if the file
        looks like a whole checkpoint (the zip format with its directory
        and ``data.pkl``, or the legacy pickle format).
    """
    if not osp.exists(path):
        return 'does not exist'
    if osp.isdir(path):
        return 'is a folder, not a checkpoint file'
    size = osp.getsize(path)
    if size == 0:
        return 'is empty (0 bytes)'
    with open(path, 'rb') as f:
        head = f.read(64)
    if head.startswith(_ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile:
            return (f'is truncated ({size} bytes without the directory a '
                    'complete checkpoint ends with: its writing was '
                    'interrupted?)')
        if not any(name.rsplit('/', 1)[-1] == 'data.pkl' for name in names):
            return 'is a zip archive, not a PyTorch checkpoint'
        return None
    if head.startswith(_PICKLE_MAGIC):
        return None
    try:
        text = head.decode('utf-8')
    except UnicodeDecodeError:
        return (f'is not a PyTorch checkpoint (its first bytes are '
                f'{head[:8].hex(" ")})')
    if text.isprintable() or text.strip().isprintable():
        return (f'is a text file, not a PyTorch checkpoint (it starts with '
                f'{text[:40]!r})')
    return f'is not a PyTorch checkpoint (it starts with {text[:16]!r})'


def check_checkpoint_file(path: str, role: str) -> None:
    """Raise unless ``path`` looks like a complete checkpoint.

    Remote paths (``s3://...``, ``http://...``) are left to their loaders.

    Args:
        path (str): The file.
        role (str): What it was given as, for the message, e.g.
            ``'load_from'`` or ``'model.target_generator.checkpoint'``.

    Raises:
        CheckpointFileError: One line naming ``role``, the file and what
            it is.
    """
    if '://' in str(path):
        return
    problem = checkpoint_problem(path)
    if problem is not None:
        raise CheckpointFileError(f'{role}: {path} {problem}.')


def complete_checkpoints(folder: str) -> List[str]:
    """The complete ``epoch_N.pth`` / ``iter_N.pth`` files of a work dir.

    Args:
        folder (str): A work dir.

    Returns:
        list[str]: Paths, newest (highest N) first.
    """
    if not osp.isdir(folder):
        return []
    found = []
    for name in os.listdir(folder):
        match = _CHECKPOINT_NAME.match(name)
        path = osp.join(folder, name)
        if match and checkpoint_problem(path) is None:
            found.append((int(match.group(1)), osp.getmtime(path), path))
    return [path for *_, path in sorted(found, reverse=True)]

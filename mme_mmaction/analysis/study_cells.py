"""Finished study cells: one small JSON file per arm and seed.

A cell records what it measured and what computed it: the arm's resolved
settings (``key``) and a fingerprint of the code the arm runs (e.g. its
losses on a fixed batch). A later run, on this machine or another, reuses
a cell only when both still match, so an unrelated commit keeps cells
valid and a change that alters an arm re-runs it.
"""
import hashlib
import json
import os.path as osp
import platform
import subprocess
import time
from typing import Dict, List, Optional

from ..motion.storage import atomic_write


def settings_key(settings: Dict) -> str:
    """Short hash of an arm's resolved settings (any JSON-able dict)."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cell_path(root: str, arm: str, seed: int) -> str:
    """``<root>/<arm>/seed<seed>.json``."""
    return osp.join(root, arm, f'seed{seed}.json')


def load_cell(root: str, arm: str, seed: int, key: str,
              fingerprint: List[float]) -> Optional[Dict]:
    """The finished cell, or None if absent or computed otherwise.

    Args:
        root (str): Folder of the cells.
        arm (str): Arm name.
        seed (int): Seed.
        key (str): :func:`settings_key` of the arm's settings now.
        fingerprint (list[float]): What the arm's code computes now; equal
            to the cell's within 1e-5 relative.
    """
    path = cell_path(root, arm, seed)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        cell = json.load(f)
    recorded = cell.get('fingerprint', [])
    same_code = len(recorded) == len(fingerprint) and all(
        abs(a - b) <= 1e-5 * max(abs(a), abs(b), 1e-12)
        for a, b in zip(recorded, fingerprint))
    return cell if cell.get('key') == key and same_code else None


def save_cell(root: str, arm: str, seed: int, key: str,
              fingerprint: List[float], results: Dict) -> Dict:
    """Write a finished cell atomically, with where and when it ran.

    Returns:
        dict: The cell written.
    """
    cell = dict(arm=arm, seed=seed, key=key, fingerprint=fingerprint,
                results=results, cpu=cpu_model(), commit=commit(),
                date=time.strftime('%Y-%m-%d'))

    def write(path: str) -> None:
        with open(path, 'w') as f:
            json.dump(cell, f, indent=1, sort_keys=True)
            f.write('\n')

    atomic_write(cell_path(root, arm, seed), write)
    return cell


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else the platform's."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def commit() -> str:
    """The repository's commit (with ``+`` when tracked files other than
    ``docs/study/`` have changes)."""
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    try:
        head = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'],
                              cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
        # Cells written by the study itself do not make the code dirty.
        dirty = subprocess.run(['git', 'status', '--porcelain',
                                '--untracked-files=no', '--', '.',
                                ':!docs/study'], cwd=root,
                               capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'
    return head + ('+' if dirty.strip() else '')

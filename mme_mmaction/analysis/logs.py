"""What a finished mmengine run logged."""
import glob
import json
import os.path as osp
from typing import List, Tuple


def logged_scalars(work_dir: str) -> List[dict]:
    """Entries of the newest ``<timestamp>/vis_data/scalars.json``.

    Args:
        work_dir (str): A run's ``--work-dir``.

    Returns:
        list[dict]: One dict per logged line, in order.

    Raises:
        FileNotFoundError: If ``work_dir`` holds no such log.
    """
    logs = sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not logs:
        raise FileNotFoundError(f'{work_dir}: no vis_data/scalars.json')
    with open(logs[-1]) as f:
        return [json.loads(line) for line in f]


def first_and_last(work_dir: str,
                   key: str,
                   fraction: float = 0.2) -> Tuple[float, float]:
    """Means of a logged value over the first and the last ``fraction`` of
    its logged steps (at least one step each).

    Raises:
        KeyError: If the run logged no ``key``.
    """
    values = [e[key] for e in logged_scalars(work_dir) if key in e]
    if not values:
        raise KeyError(f'{work_dir}: no {key} logged')
    n = max(1, int(len(values) * fraction))
    return sum(values[:n]) / n, sum(values[-n:]) / n

"""Cells of the Markdown tables that the analysis tools print."""
import statistics
from typing import Sequence


def spread(values: Sequence[float], digits: int) -> str:
    """``'mean (min-max)'`` over runs (seeds), or the value of a single run.

    Args:
        values (Sequence[float]): One number per run; not empty.
        digits (int): Decimals shown.

    Raises:
        ValueError: If ``values`` is empty.
    """
    if not values:
        raise ValueError('spread() of no runs')
    mean = statistics.mean(values)
    if len(values) < 2:
        return f'{mean:.{digits}f}'
    return (f'{mean:.{digits}f} ({min(values):.{digits}f}-'
            f'{max(values):.{digits}f})')

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


def ratio_spread(ratios: Sequence[float]) -> str:
    """``'median x (min-max)'`` of per-round ratios, as the benchmarks
    report them (a median, so that one noisy round cannot move it).

    Raises:
        ValueError: If ``ratios`` is empty.
    """
    if not ratios:
        raise ValueError('ratio_spread() of no rounds')
    return (f'{statistics.median(ratios):.2f}x '
            f'({min(ratios):.2f}-{max(ratios):.2f})')

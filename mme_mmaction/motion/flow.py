"""Dense optical flow between two grey frames, with OpenCV backends."""
from typing import Callable, Dict

import cv2
import numpy as np

_DIS_PRESETS = {
    'ultrafast': cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    'fast': cv2.DISOPTICAL_FLOW_PRESET_FAST,
    'medium': cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}


def _make_dis(preset: str = 'medium', **params: int) -> Callable:
    """DIS with a preset, then any of its setters by snake-case name.

    E.g. ``finest_scale=1`` calls ``setFinestScale(1)``; others are
    ``patch_size``, ``patch_stride``, ``gradient_descent_iterations``,
    ``variational_refinement_iterations``.
    """
    if preset not in _DIS_PRESETS:
        raise ValueError(f'Unknown DIS preset {preset!r}; '
                         f'choose one of {sorted(_DIS_PRESETS)}.')
    dis = cv2.DISOpticalFlow_create(_DIS_PRESETS[preset])
    for name, value in params.items():
        setter = 'set' + ''.join(part.title() for part in name.split('_'))
        if not hasattr(dis, setter):
            raise ValueError(f'DIS has no parameter {name!r} ({setter}).')
        getattr(dis, setter)(value)
    return lambda prev, nxt: dis.calc(prev, nxt, None)


def _make_farneback() -> Callable:
    return lambda prev, nxt: cv2.calcOpticalFlowFarneback(
        prev, nxt, None, 0.5, 3, 15, 3, 5, 1.2, 0)


def _make_tvl1() -> Callable:
    tvl1 = cv2.optflow.DualTVL1OpticalFlow_create()
    return lambda prev, nxt: tvl1.calc(prev, nxt, None)


# DIS 'ultrafast' searched down to half resolution with 2 variational
# refinement passes: about half the time of 'medium' with as smooth a field
# on real video (docs/benchmarks.md). 'fast' and 'ultrafast' as shipped stop
# at quarter resolution and under-read small moving objects by a third.
DEFAULT_FLOW = dict(
    method='dis',
    preset='ultrafast',
    finest_scale=1,
    variational_refinement_iterations=2)

_BACKENDS: Dict[str, Callable[..., Callable]] = {
    'dis': _make_dis,
    'farneback': _make_farneback,
    'tvl1': _make_tvl1,
}


class OpticalFlow:
    """Callable computing ``F(x, y)``: the displacement from frame i to i+1.

    The options are checked when it is made (an unknown method, preset or
    parameter raises ValueError), but the OpenCV solver used for computing
    is created lazily in each process: OpenCV objects cannot be pickled,
    data loader workers receive pickled transforms, and OpenCV's thread
    pool does not survive a fork once it has run.

    Args:
        method (str): ``'dis'`` (default), ``'farneback'`` or ``'tvl1'``
            (needs opencv-contrib's ``cv2.optflow``).
        **kwargs: Options of the backend, e.g. ``preset='fast'`` or
            ``finest_scale=1`` for DIS.
    """

    def __init__(self, method: str = 'dis', **kwargs) -> None:
        if method not in _BACKENDS:
            raise ValueError(f'Unknown optical flow method {method!r}; '
                             f'choose one of {sorted(_BACKENDS)}.')
        _BACKENDS[method](**kwargs)  # checks the options, computes nothing
        self.method = method
        self.kwargs = kwargs
        self._solver = None

    def __call__(self, prev: np.ndarray, nxt: np.ndarray) -> np.ndarray:
        """Compute the flow from ``prev`` to ``nxt``.

        Args:
            prev (np.ndarray): uint8 grey frame (H, W).
            nxt (np.ndarray): uint8 grey frame (H, W).

        Returns:
            np.ndarray: float32 (H, W, 2), channels (dx, dy) in pixels.
        """
        if self._solver is None:
            self._solver = _BACKENDS[self.method](**self.kwargs)
        # DIS asserts contiguous inputs; crops and flips are views.
        return self._solver(np.ascontiguousarray(prev),
                            np.ascontiguousarray(nxt))

    def __getstate__(self) -> dict:
        return {**self.__dict__, '_solver': None}

    def __repr__(self) -> str:
        return f'OpticalFlow(method={self.method!r}, **{self.kwargs})'

"""Dense optical flow between two grey frames, with OpenCV backends."""
import math
from typing import Callable, Dict, Tuple

import cv2
import numpy as np

_DIS_PRESETS = {
    'ultrafast': cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    'fast': cv2.DISOPTICAL_FLOW_PRESET_FAST,
    'medium': cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}


class FrameSizeError(ValueError):
    """Frames too small for the optical flow's settings."""


def _dis_pyramid(height: int, width: int, patch_size: int,
                 finest_scale: int) -> Tuple[int, int, int]:
    """The patch size and pyramid levels OpenCV's DIS uses on a frame.

    DIS picks its coarsest level from the frame size; when that is finer
    than ``finest_scale`` it falls back to patch size and levels chosen
    from the width alone (OpenCV 4.x ``DISOpticalFlowImpl::calc``), which on
    short, wide frames gives levels smaller than a patch.

    Args:
        height (int): Frame height in pixels.
        width (int): Frame width in pixels.
        patch_size (int): The solver's patch size.
        finest_scale (int): The solver's finest level.

    Returns:
        tuple[int, int, int]: ``(patch_size, coarsest, finest)`` used; a
        coarsest level below 0 means OpenCV refuses the frame.
    """
    if min(height, width) // patch_size == 0:
        return patch_size, -1, finest_scale
    # C++ arithmetic: int() truncates towards zero as its casts do.
    coarsest = min(
        int(math.log(max(height, width) / (4. * patch_size)) / math.log(2.)
            + .5),
        int(math.log(min(height, width) // patch_size) / math.log(2.)))
    if coarsest < 0 or coarsest >= finest_scale:
        return patch_size, coarsest, finest_scale
    patch_size = 12 if finest_scale in (3, 4) else 8
    coarsest = max(0, math.floor(math.log2(2. * width / (5. * patch_size))))
    finer = {3: 4, 4: 5}.get(finest_scale, 2)
    return patch_size, coarsest, max(coarsest - finer, 0)


class _DIS:
    """OpenCV's DIS with the settings given, refusing frames it cannot
    hold (OpenCV raises on some and reads outside the frame on others,
    which can kill the process).

    Args:
        preset (str): ``'ultrafast'``, ``'fast'`` or ``'medium'``.
        **params (int): Any of DIS's setters by snake-case name, e.g.
            ``finest_scale=1`` calls ``setFinestScale(1)``; others are
            ``patch_size``, ``patch_stride``, ``gradient_descent_iterations``,
            ``variational_refinement_iterations``.
    """

    def __init__(self, preset: str = 'medium', **params: int) -> None:
        if preset not in _DIS_PRESETS:
            raise ValueError(f'Unknown DIS preset {preset!r}; '
                             f'choose one of {sorted(_DIS_PRESETS)}.')
        self.dis = cv2.DISOpticalFlow_create(_DIS_PRESETS[preset])
        for name, value in params.items():
            setter = 'set' + ''.join(part.title() for part in name.split('_'))
            if not hasattr(self.dis, setter):
                raise ValueError(f'DIS has no parameter {name!r} ({setter}).')
            getattr(self.dis, setter)(value)
        self.patch_size = self.dis.getPatchSize()
        self.finest_scale = self.dis.getFinestScale()

    def check_size(self, height: int, width: int) -> None:
        """Raise :class:`FrameSizeError` unless every pyramid level DIS
        uses on a ``height x width`` frame holds a patch."""
        patch, coarsest, _ = _dis_pyramid(height, width, self.patch_size,
                                          self.finest_scale)
        # Each level halves the one below, rounding down.
        level = (height >> max(coarsest, 0), width >> max(coarsest, 0))
        if coarsest < 0:
            problem = (f'OpenCV refuses frames whose shorter side is under '
                       f'the patch or whose longer side is under '
                       f'{math.floor(math.sqrt(2) * patch) + 1} px')
        elif min(level) < patch:
            problem = (f'its coarsest pyramid level would be {level[0]}x'
                       f'{level[1]} px, smaller than its {patch} px patches')
        else:
            return
        raise FrameSizeError(
            f'frames of {height}x{width} px (H x W) are too small for DIS '
            f'optical flow (patch_size={self.patch_size}, finest_scale='
            f'{self.finest_scale}): {problem}.')

    def __call__(self, prev: np.ndarray, nxt: np.ndarray) -> np.ndarray:
        self.check_size(*prev.shape[:2])
        # DIS's fallback for small frames overwrites these for every later
        # call: each frame gets the settings asked for.
        self.dis.setPatchSize(self.patch_size)
        self.dis.setFinestScale(self.finest_scale)
        return self.dis.calc(prev, nxt, None)


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
    'dis': _DIS,
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

        Raises:
            FrameSizeError: If the frames are too small for the method's
                settings (DIS: a pyramid level smaller than its patches).
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

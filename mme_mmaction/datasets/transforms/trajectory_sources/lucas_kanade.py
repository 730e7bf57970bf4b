"""Trajectories by a coarse online flow refined at the seeds."""
from typing import Dict, List, Optional, Tuple

import numpy as np

from mme_mmaction.motion import LucasKanadeTracker
from mme_mmaction.registry import TRAJECTORY_SOURCES
from .online import OnlineFlow

# Cheapest of the coarse flows compared in docs/benchmarks.md that leaves
# LK's targets as photometrically consistent as the default dense flow's.
COARSE_FLOW = dict(method='dis', preset='ultrafast', patch_stride=3)


@TRAJECTORY_SOURCES.register_module(
    name=['lucas_kanade', 'LucasKanadeFlow'])
class LucasKanadeFlow(OnlineFlow):
    """Online flow computed only where the seeds are.

    A coarse dense flow (DIS ``ultrafast`` by default) between the raw
    frames gives each step a start, and pyramidal Lucas-Kanade refines it
    in a window around every tracked point
    (:class:`~mme_mmaction.motion.LucasKanadeTracker`). This reads a known
    translation more exactly than the default dense flow, at a fraction of
    its cost (``docs/benchmarks.md``); where a window has no texture the
    point keeps the coarse flow's step.

    Frames, region and scale are chosen as in :class:`OnlineFlow`, with
    defaults for speed: the crop grown by a 10 % margin, at the final
    frame's scale. Points that leave that region turn invalid.

    Args:
        guess (dict, optional): :class:`~mme_mmaction.motion.OpticalFlow`
            options of the coarse flow. Defaults to DIS ``ultrafast`` with
            patches every 3 pixels (4 in the preset).
        lucas_kanade (dict, optional): Options of
            :class:`~mme_mmaction.motion.LucasKanadeTracker`.
        min_flow_size (int): See :class:`OnlineFlow`. Defaults to 0.
        margin (float, optional): See :class:`OnlineFlow`; None for the
            whole frame. Defaults to 0.1.
    """

    def __init__(self,
                 guess: Optional[dict] = None,
                 lucas_kanade: Optional[dict] = None,
                 min_flow_size: int = 0,
                 margin: Optional[float] = 0.1) -> None:
        super().__init__(guess or COARSE_FLOW, min_flow_size, margin)
        self.tracker = LucasKanadeTracker(**(lucas_kanade or {}))

    def _track(self, frames: List[np.ndarray], chain: List[int],
               flows: Dict[Tuple[int, int], np.ndarray],
               seeds: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """See :meth:`OnlineFlow._track`."""
        return self.tracker([frames[i] for i in chain],
                            [flows[p] for p in zip(chain, chain[1:])], seeds)

    def __repr__(self) -> str:
        return (f'LucasKanadeFlow(guess={self.flow!r}, '
                f'tracker={self.tracker!r}, '
                f'min_flow_size={self.min_flow_size}, margin={self.margin})')

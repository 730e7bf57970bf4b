"""Trajectories by optical flow between the decoded raw frames."""
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np

from mme_mmaction.motion import DEFAULT_FLOW, OpticalFlow, track_points
from mme_mmaction.motion.flow import FrameSizeError
from mme_mmaction.registry import TRAJECTORY_SOURCES
from ..bad_input import BadInputError
from .base import Tracks, TrajectorySource, crop_scale


@TRAJECTORY_SOURCES.register_module(name=['online', 'OnlineFlow'])
class OnlineFlow(TrajectorySource):
    """Flow between the raw frames :class:`DecordDecodeWithTrajectoryFrames`
    decoded, at the final frame's scale (shorter side at least
    ``min_flow_size``, never above native).

    Reads ``traj_frames`` and ``traj_frame_map`` of the sample.

    Args:
        flow (dict, optional): :class:`~mme_mmaction.motion.OpticalFlow`
            options. Defaults to :data:`~mme_mmaction.motion.DEFAULT_FLOW`.
        min_flow_size (int): Smallest shorter side of the flow frames.
            Defaults to 224.
        margin (float, optional): Compute flow only on the crop grown by
            this fraction of its size on each side, which is several times
            cheaper when crops are small; points that leave that region
            turn invalid. Defaults to None: the whole frame, where points
            turn invalid only when they leave the video (docs/method.md
            §4.2).
    """

    def __init__(self, flow: Optional[dict] = None, min_flow_size: int = 224,
                 margin: Optional[float] = None) -> None:
        self.flow = OpticalFlow(**(flow or DEFAULT_FLOW))
        self.min_flow_size = min_flow_size
        self.margin = margin

    def _region(self, results: Dict, height: int,
                width: int) -> Tuple[int, int, int, int]:
        """(x0, y0, x1, y1) of the raw frames to compute flow on."""
        if self.margin is None:
            return 0, 0, width, height
        qx, qy, qw, qh = results.get('crop_quadruple', (0., 0., 1., 1.))
        m = self.margin
        return (max(int(np.floor((qx - m * qw) * width)), 0),
                max(int(np.floor((qy - m * qh) * height)), 0),
                min(int(np.ceil((qx + qw + m * qw) * width)), width),
                min(int(np.ceil((qy + qh + m * qh) * height)), height))

    def read(self, results: Dict, seeds: np.ndarray) -> Tracks:
        """See :meth:`TrajectorySource.read`."""
        if 'traj_frame_map' not in results:
            raise KeyError(
                f'{results.get("filename")}: the online trajectory source '
                'needs the raw frames DecordDecodeWithTrajectoryFrames '
                'decodes with raw_frames=True.')
        frames = results['traj_frames']
        frame_map = results['traj_frame_map']
        x0, y0, x1, y1 = self._region(results, *frames.shape[1:])
        region = np.array([x1 - x0, y1 - y0], dtype=np.float64)
        scale = np.maximum(crop_scale(results),
                           self.min_flow_size / region.min())
        flow_size = tuple(np.round(region * np.minimum(scale, 1.)).astype(int))
        to_flow = np.array(flow_size) / region
        # Area averaging only where bilinear would alias: it is several
        # times slower.
        interpolation = (cv2.INTER_AREA if to_flow.min() < 0.5 else
                         cv2.INTER_LINEAR)
        frames = [
            cv2.resize(f[y0:y1, x0:x1], flow_size, interpolation=interpolation)
            if flow_size != tuple(region.astype(int)) else
            np.ascontiguousarray(f[y0:y1, x0:x1])  # once, not per pair
            for f in frames
        ]
        chains = frame_map.tolist()
        pairs = {pair for chain in chains for pair in zip(chain, chain[1:])}
        try:
            flows = {(a, b): self.flow(frames[a], frames[b])
                     for a, b in pairs}
        except FrameSizeError as error:
            raise BadInputError(
                f'{results["filename"]}: {error} The flow runs on the '
                f'{y1 - y0}x{x1 - x0} px region of its raw frames, at '
                f'{flow_size[1]}x{flow_size[0]} px: drop such videos, raise '
                'min_flow_size if that is below the native size, or set '
                "on_bad_input='skip'.") from error
        seeds = (seeds - (x0, y0)) * to_flow
        tracks = [self._track(frames, chain, flows, seeds) for chain in chains]
        steps = np.stack([steps for steps, _ in tracks]) / to_flow
        return steps, np.stack([valid for _, valid in tracks])

    def _track(self, frames: List[np.ndarray], chain: List[int],
               flows: Dict[Tuple[int, int], np.ndarray],
               seeds: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Track the seeds along one chain of frame indices.

        Args:
            frames (list[np.ndarray]): Grey (H, W) frames at flow scale.
            chain (list[int]): L + 1 indices into ``frames``.
            flows (dict): The flow of every consecutive pair of a chain.
            seeds (np.ndarray): (P, 2) positions at flow scale.

        Returns:
            tuple[np.ndarray, np.ndarray]: (L, P, 2) steps at flow scale and
            (P,) validity.
        """
        return track_points([flows[p] for p in zip(chain, chain[1:])], seeds)

    def __repr__(self) -> str:
        return (f'OnlineFlow(flow={self.flow!r}, '
                f'min_flow_size={self.min_flow_size}, margin={self.margin})')

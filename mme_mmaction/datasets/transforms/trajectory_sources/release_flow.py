"""Trajectories tracked through the authors' stored flow videos."""
import os.path as osp
from typing import Dict, Optional

import numpy as np

from mme_mmaction.motion import track_points
from mme_mmaction.motion.storage import ReleaseFlowReader
from mme_mmaction.registry import TRAJECTORY_SOURCES
from ..bad_input import BadInputError
from .base import Tracks, TrajectorySource, tubelet_starts, video_key


@TRAJECTORY_SOURCES.register_module(
    name=['release_flow', 'ReleaseFlowVideos'])
class ReleaseFlowVideos(TrajectorySource):
    """The release's flow videos ``<root>/<video>/x.mp4`` and ``y.mp4``,
    de-quantised (docs/method.md §4.1), tracked like online flow at native
    size.

    Args:
        root (str): Folder of the per-video flow folders.
        video_root (str, optional): Folder the videos' keys are relative to.
    """

    def __init__(self, root: str, video_root: Optional[str] = None) -> None:
        self.root = root
        self.video_root = video_root

    def read(self, results: Dict, seeds: np.ndarray) -> Tracks:
        """See :meth:`TrajectorySource.read`."""
        video_dir = osp.join(self.root, video_key(results, self.video_root))
        try:
            reader = ReleaseFlowReader(video_dir)
        except (FileNotFoundError, ValueError) as error:
            raise BadInputError(str(error)) from error
        if tuple(reader.shape) != tuple(results['original_shape']):
            raise BadInputError(
                f'{video_dir}: flow of {reader.shape} does not match the '
                f'video\'s {tuple(results["original_shape"])}.')
        starts = tubelet_starts(results)
        needed = starts[:, None] + np.arange(results['traj_len'])
        if needed.max() >= reader.num_flows:
            raise BadInputError(
                f'{video_dir}: has {reader.num_flows} flow fields, the clip '
                f'needs field {needed.max()}.')
        indices, inverse = np.unique(needed, return_inverse=True)
        flows = reader.read(indices.tolist())
        tracks = [
            track_points(list(flows[chain]), seeds)
            for chain in inverse.reshape(needed.shape)
        ]
        return (np.stack([steps for steps, _ in tracks]),
                np.stack([valid for _, valid in tracks]))

    def __repr__(self) -> str:
        return (f'ReleaseFlowVideos(root={self.root!r}, '
                f'video_root={self.video_root!r})')

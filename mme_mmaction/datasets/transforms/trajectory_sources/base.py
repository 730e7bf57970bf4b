"""The interface of trajectory sources and the sample fields they share."""
import os.path as osp
from abc import ABCMeta, abstractmethod
from typing import Dict, Optional, Tuple

import numpy as np

# (tubelets, L, P, 2) raw-pixel steps and (tubelets, P) validity.
Tracks = Tuple[np.ndarray, np.ndarray]


class TrajectorySource(metaclass=ABCMeta):
    """Trajectories of given seeds for every tubelet of a sample.

    The sample carries ``traj_len`` and ``tubelet_size`` (set by
    ``DecordDecodeWithTrajectoryFrames``), ``frame_inds``, ``filename`` and
    ``original_shape``; sources read what they need of it.
    """

    @abstractmethod
    def read(self, results: Dict, seeds: np.ndarray) -> Tracks:
        """Per-step displacements of the seeds through each tubelet.

        Args:
            results (dict): The sample.
            seeds (np.ndarray): (P, 2) seed positions (x, y) in raw-frame
                pixels of every tubelet's first raw frame.

        Returns:
            tuple[np.ndarray, np.ndarray]: (T', L, P, 2) steps in raw-frame
            pixels and (T', P) bool validity.
        """


def tubelet_starts(results: Dict) -> np.ndarray:
    """Raw index of every tubelet's first sampled frame, (T',)."""
    return np.asarray(
        results['frame_inds']).reshape(-1)[::results['tubelet_size']]


def crop_scale(results: Dict) -> np.ndarray:
    """Final-frame pixels per raw-frame pixel, (2,) for (x, y)."""
    final_h, final_w = results['img_shape']
    orig_h, orig_w = results['original_shape']
    _, _, qw, qh = results.get('crop_quadruple', (0., 0., 1., 1.))
    return np.array([final_w / (qw * orig_w), final_h / (qh * orig_h)])


def video_key(results: Dict, video_root: Optional[str]) -> str:
    """The video's path below ``video_root`` (or its file name) without
    extension, which names its stored trajectories or flow."""
    filename = results['filename']
    relative = (osp.relpath(filename, video_root)
                if video_root else osp.basename(filename))
    return osp.splitext(relative)[0]

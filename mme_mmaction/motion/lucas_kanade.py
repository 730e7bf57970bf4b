"""Point tracking refined by pyramidal Lucas-Kanade at the points."""
from typing import Sequence, Tuple

import cv2
import numpy as np

from .tracking import bilinear_sample, inside_frame


class LucasKanadeTracker:
    """Follow points through frames, a dense guess refined at each point.

    Each step starts from a dense flow field sampled at the point and
    refines it with pyramidal Lucas-Kanade (``cv2.calcOpticalFlowPyrLK``)
    in a window around the point. The dense field can be coarse and cheap
    (it supplies large motion and textureless regions); LK supplies
    sub-pixel accuracy where the window has texture, and costs only as many
    windows as there are points. A point whose window LK cannot solve (its
    gradient matrix's smaller eigenvalue, per pixel, is below
    ``min_eigenvalue``, e.g. a flat region) keeps the guess.

    Args:
        win_size (int): Side of the LK window in pixels, odd, at least 3.
            Defaults to 9.
        levels (int): Pyramid levels above the frame (0: the frame only,
            enough when the guess is within a few pixels). Defaults to 0.
        iterations (int): Most Gauss-Newton updates per level. Defaults
            to 10.
        epsilon (float): Stop once an update is shorter than this many
            pixels. Defaults to 0.01.
        min_eigenvalue (float): See above. Defaults to 1e-4, OpenCV's.
    """

    def __init__(self,
                 win_size: int = 9,
                 levels: int = 0,
                 iterations: int = 10,
                 epsilon: float = 0.01,
                 min_eigenvalue: float = 1e-4) -> None:
        if win_size < 3 or win_size % 2 == 0:
            raise ValueError(
                f'win_size must be odd and at least 3, got {win_size}.')
        if levels < 0 or iterations < 1 or epsilon <= 0 or min_eigenvalue < 0:
            raise ValueError(
                'Need levels >= 0, iterations >= 1, epsilon > 0 and '
                f'min_eigenvalue >= 0; got {levels}, {iterations}, {epsilon} '
                f'and {min_eigenvalue}.')
        self.win_size = win_size
        self.levels = levels
        self.iterations = iterations
        self.epsilon = epsilon
        self.min_eigenvalue = min_eigenvalue

    def __call__(self, frames: Sequence[np.ndarray],
                 guesses: Sequence[np.ndarray],
                 seeds: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Track the seeds; the same contract as
        :func:`~mme_mmaction.motion.track_points`.

        Args:
            frames (Sequence[np.ndarray]): L + 1 uint8 grey frames (H, W).
            guesses (Sequence[np.ndarray]): L dense flow fields (H, W, 2),
                field j from frame j to frame j + 1.
            seeds (np.ndarray): (P, 2) continuous (x, y) start positions.

        Returns:
            tuple[np.ndarray, np.ndarray]: per-step displacements (L, P, 2)
            float32, and validity (P,) bool: inside the frame at every step.
        """
        if len(frames) != len(guesses) + 1:
            raise ValueError(f'{len(guesses)} flow fields need '
                             f'{len(guesses) + 1} frames, got {len(frames)}.')
        criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS,
                    self.iterations, self.epsilon)
        points = seeds.astype(np.float64).copy()
        valid = np.ones(len(points), dtype=bool)
        steps = np.zeros((len(guesses), len(points), 2), dtype=np.float32)
        for j, guess in enumerate(guesses):
            valid &= inside_frame(points, *guess.shape[:2])
            start = bilinear_sample(guess, points)
            # OpenCV puts pixel centres at integers, this package at +0.5.
            prev = (points - 0.5).astype(np.float32)
            moved, found, _ = cv2.calcOpticalFlowPyrLK(
                np.ascontiguousarray(frames[j]),
                np.ascontiguousarray(frames[j + 1]), prev,
                (prev + start).astype(np.float32),
                winSize=(self.win_size, self.win_size),
                maxLevel=self.levels,
                criteria=criteria,
                flags=cv2.OPTFLOW_USE_INITIAL_FLOW,
                minEigThreshold=self.min_eigenvalue)
            step = np.where(found.astype(bool), moved - prev, start)
            steps[j] = step * valid[:, None]
            points += steps[j]
        return steps, valid

    def __repr__(self) -> str:
        return (f'LucasKanadeTracker(win_size={self.win_size}, '
                f'levels={self.levels}, iterations={self.iterations}, '
                f'epsilon={self.epsilon}, '
                f'min_eigenvalue={self.min_eigenvalue})')

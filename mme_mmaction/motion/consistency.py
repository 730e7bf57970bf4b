"""Photometric consistency of tracked points, and shot cuts.

A trajectory that crosses a shot cut (flow between two unrelated frames) or
runs into an occluder ends on content that does not look like where it
started. Comparing a small patch around a point's start in its first frame
with the patch around its end in its last frame finds both, from two frames
that every trajectory source has, whatever computed the motion.
"""
from typing import Tuple

import cv2
import numpy as np


def patch_offsets(extent: np.ndarray, samples: int) -> np.ndarray:
    """Offsets of a ``samples x samples`` grid spanning a patch.

    Args:
        extent (np.ndarray): (2,) patch width and height in pixels.
        samples (int): Samples per side.

    Returns:
        np.ndarray: (samples * samples, 2) offsets (x, y) from the patch
        centre, at the centres of equal sub-cells: for an 8-pixel patch and
        4 samples, -3, -1, 1 and 3 on each axis.
    """
    fractions = (np.arange(samples) + 0.5) / samples - 0.5
    grid_y, grid_x = np.meshgrid(fractions * extent[1],
                                 fractions * extent[0], indexing='ij')
    return np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)


def sample_patches(frame: np.ndarray, centres: np.ndarray,
                   offsets: np.ndarray) -> np.ndarray:
    """Bilinear samples of a grey frame around points.

    Args:
        frame (np.ndarray): (H, W) grey frame.
        centres (np.ndarray): (P, 2) continuous (x, y) points; pixel
            ``(i, j)`` has its centre at ``(j + 0.5, i + 0.5)``.
        offsets (np.ndarray): (S, 2) offsets from each point.

    Returns:
        np.ndarray: float32 (P, S) samples, the border replicated.
    """
    # OpenCV puts pixel centres at integers, this package at +0.5.
    points = centres[:, None, :] + offsets[None] - 0.5
    return cv2.remap(
        np.ascontiguousarray(frame, dtype=np.float32),
        np.ascontiguousarray(points[..., 0], dtype=np.float32),
        np.ascontiguousarray(points[..., 1], dtype=np.float32),
        cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


class PhotometricCheck:
    """Ends tracks whose end patch does not look like their start patch.

    A track's residual is the mean absolute grey difference of its start
    and end patches against their contrast::

        rho = mean|a - b| / ((std(a) + std(b)) / 2 + noise)

    so that a sub-pixel error on a strong edge is not a failure and a flat
    patch needs a change well above sensor ``noise``. A track with
    ``rho > max_residual`` is inconsistent (an occluder, a lost point) and
    ends. A tubelet whose content is replaced spans a shot cut (or an
    occluder sweeping the frame), and all its tracks end: the median ``rho``
    of its tracks is above ``cut_residual`` and above ``cut_relative``
    times the median ``rho`` of unrelated patch pairs (each start patch
    against the end patch of the track half the tubelet away), which is
    what any change of content gives in this video. Defaults and the
    statistics they come from: ``docs/masking.md``.

    Args:
        max_residual (float): Largest ``rho`` of a consistent track.
            Defaults to 1.0.
        cut_residual (float): Median ``rho`` a cut exceeds. Defaults to
            0.5.
        cut_relative (float): Share of the unrelated pairs' median a cut's
            median exceeds. Defaults to 0.4.
        noise (float): Grey levels (of 255) of sensor and codec noise.
            Defaults to 8.
        samples (int): Samples per patch side. Defaults to 4.
    """

    def __init__(self,
                 max_residual: float = 1.0,
                 cut_residual: float = 0.5,
                 cut_relative: float = 0.4,
                 noise: float = 8.,
                 samples: int = 4) -> None:
        if min(max_residual, cut_residual, cut_relative, noise) <= 0 \
                or samples < 2:
            raise ValueError(
                'Need max_residual, cut_residual, cut_relative and noise > 0 '
                f'and samples >= 2; got {max_residual}, {cut_residual}, '
                f'{cut_relative}, {noise} and {samples}.')
        self.max_residual = max_residual
        self.cut_residual = cut_residual
        self.cut_relative = cut_relative
        self.noise = noise
        self.samples = samples

    def residuals(self, before: np.ndarray, after: np.ndarray) -> np.ndarray:
        """``rho`` of patch pairs (see the class).

        Args:
            before (np.ndarray): (P, S) start patches.
            after (np.ndarray): (P, S) end patches.

        Returns:
            np.ndarray: (P,) residuals.
        """
        contrast = (before.std(axis=1) + after.std(axis=1)) / 2
        return np.abs(before - after).mean(axis=1) / (contrast + self.noise)

    def __call__(self, first: np.ndarray, last: np.ndarray,
                 starts: np.ndarray, ends: np.ndarray, valid: np.ndarray,
                 extent: np.ndarray) -> Tuple[np.ndarray, bool]:
        """Validity of one tubelet's tracks after the check.

        Args:
            first (np.ndarray): (H, W) grey frame where the tracks start.
            last (np.ndarray): (H, W) grey frame where they end.
            starts (np.ndarray): (P, 2) start points (x, y) in ``first``.
            ends (np.ndarray): (P, 2) end points in ``last``.
            valid (np.ndarray): (P,) bool validity before the check.
            extent (np.ndarray): (2,) patch width and height in pixels: a
                trajectory cell.

        Returns:
            tuple[np.ndarray, bool]: (P,) bool validity, and whether the
            tubelet spans a cut (then no track is valid).
        """
        if not valid.any():
            return valid, False
        offsets = patch_offsets(extent, self.samples)
        before = sample_patches(first, starts[valid], offsets)
        after = sample_patches(last, ends[valid], offsets)
        rho = self.residuals(before, after)
        unrelated = self.residuals(
            before, np.roll(after, len(after) // 2, axis=0))
        typical = np.median(rho)
        if typical > max(self.cut_residual,
                         self.cut_relative * np.median(unrelated)):
            return np.zeros_like(valid), True
        checked = valid.copy()
        checked[valid] = rho <= self.max_residual
        return checked, False

    def __repr__(self) -> str:
        return (f'PhotometricCheck(max_residual={self.max_residual}, '
                f'cut_residual={self.cut_residual}, '
                f'cut_relative={self.cut_relative}, noise={self.noise}, '
                f'samples={self.samples})')

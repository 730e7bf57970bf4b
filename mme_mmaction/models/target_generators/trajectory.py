"""MME's motion target: per-token trajectories from per-cell steps."""
from typing import List, Optional, Tuple

import torch
from mmaction.registry import MODELS
from mmengine.structures import BaseDataElement
from torch import Tensor

from ..utils import stack_field
from .base import TargetGenerator
from .trajectory_norms import (normalize_trajectory_tokens,
                               trajectory_channels, trajectory_target_unit)
from .trajectory_tokens import token_validity, trajectory_tokens

#: Pixels the authors' code clipped every flow step to.
RELEASE_CLIP = 20.


@MODELS.register_module()
class TrajectoryTargetGenerator(TargetGenerator):
    """Trajectory targets and validity of every token (docs/method.md §4.4).

    The data pipeline (``TrajectoryTarget``) delivers per-step displacements
    of the seeds of the final frame's cell grid in the data samples'
    ``trajectories`` and ``traj_valid``; this groups the sub-trajectories
    of each token (``patch_size / cell_size`` cells per side) and
    normalises them into regression targets, weighted by token validity.

    Args:
        traj_len (int): Steps per trajectory L. The pipeline delivers the
            ``traj_len`` of ``DecordDecodeWithTrajectoryFrames``, by
            default its clip's ``frame_interval``. Defaults to 4.
        cell_size (int): Seed cell side in final-frame pixels, as
            ``TrajectoryTarget.cell_size``. Defaults to 8.
        patch_size (int): Token side in pixels; a model sets it from its
            backbone. Defaults to 16.
        token_grid (tuple[int, int, int], optional): (T', H', W') tokens
            of the backbone, which a model sets: the pipeline's
            trajectories are checked against it. Defaults to None.
        norm (str): One of :data:`~.TRAJ_NORMS`: ``'patch_std'`` (default,
            the paper's), ``'none'`` (displacements in units of ``scale``
            pixels), ``'log'`` or ``'patch_std_mean'`` (ours; see
            :func:`~.normalize_trajectory_tokens`).
        patch_std_min_std (float): Noise floor of PatchStd in final-frame
            pixels (see :func:`~.patch_std`); 0 gives the paper's formula
            exactly. Defaults to 0.5, which leaves every patch whose
            sub-cells differ by a pixel or more unchanged.
        scale (float): Pixels per target unit of ``'none'``, ``'log'`` and
            the mean channels of ``'patch_std_mean'``. Defaults to 1.
        whole_pixels (bool): Truncate every step toward zero to whole
            pixels and clip it to +-20 px before normalising, as the
            authors' code read its flow (docs/method.md §4.2): with
            ``norm='patch_std'`` and ``patch_std_min_std=0`` this is the
            target their models trained on, not the formula of §4.4.
            Defaults to False.
    """

    sample_keys = ('trajectories', 'traj_valid')

    def __init__(self,
                 traj_len: int = 4,
                 cell_size: int = 8,
                 patch_size: int = 16,
                 token_grid: Optional[Tuple[int, int, int]] = None,
                 norm: str = 'patch_std',
                 patch_std_min_std: float = 0.5,
                 scale: float = 1.,
                 whole_pixels: bool = False) -> None:
        super().__init__()
        if scale <= 0:
            raise ValueError(f'scale must be positive, got {scale}.')
        if cell_size < 1 or patch_size % cell_size:
            raise ValueError(
                f'model.motion_generator.cell_size={cell_size} must divide '
                f'the backbone\'s patch_size={patch_size}: a token groups '
                'whole seed cells.')
        self.cells_per_patch = patch_size // cell_size
        self.out_channels = trajectory_channels(norm, traj_len,
                                                self.cells_per_patch**2)
        self.traj_len = traj_len
        self.cell_size = cell_size
        self.token_grid = token_grid
        self.norm = norm
        self.patch_std_min_std = patch_std_min_std
        self.scale = scale
        self.whole_pixels = whole_pixels

    @property
    def unit(self) -> str:
        """str: What one target value measures (e.g. ``'px'``)."""
        unit = trajectory_target_unit(self.norm, self.patch_std_min_std,
                                      self.scale)
        return unit + (' of whole-pixel steps' if self.whole_pixels else '')

    def forward(
        self,
        inputs: Tensor,
        data_samples: Optional[List[BaseDataElement]] = None
    ) -> Tuple[Tensor, Tensor]:
        """Targets and validity of the batch's trajectories.

        Args:
            inputs (Tensor): (B, C, T, H, W) clips (only their device is
                used).
            data_samples (list[BaseDataElement]): With ``trajectories``
                and ``traj_valid``.

        Returns:
            tuple[Tensor, Tensor]: See :meth:`targets`.
        """
        fields = [
            stack_field(data_samples, key, inputs.device,
                        'model.motion_generator (TrajectoryTargetGenerator)')
            for key in self.sample_keys
        ]
        return self.targets(*fields)

    @torch.no_grad()
    def targets(self, trajectories: Tensor,
                traj_valid: Tensor) -> Tuple[Tensor, Tensor]:
        """Per-token targets and validity.

        Args:
            trajectories (Tensor): (B, T', L, 2, Hc, Wc) per-step
                displacements (dx, dy) in final-frame pixels.
            traj_valid (Tensor): (B, T', Hc, Wc) bool seed validity.

        Returns:
            tuple[Tensor, Tensor]: (B, N, out_channels) float32 targets
            (per-cell values in (c, step, h2, w2) order) with N tokens in
            (t, h, w) order, and (B, N) float token validity (1 if any
            sub-trajectory is valid).

        Raises:
            ValueError: If the pipeline's trajectories have another length
                or cell grid than the model's, naming both settings.
        """
        if trajectories.shape[2] != self.traj_len:
            raise ValueError(
                f'The model expects trajectories of traj_len={self.traj_len} '
                f'steps (model.motion_generator.traj_len), the pipeline '
                f'delivers {trajectories.shape[2]} '
                '(DecordDecodeWithTrajectoryFrames.traj_len, by default the '
                'clip\'s frame_interval): set both to the same value.')
        k = self.cells_per_patch
        self._check_grid(trajectories.shape[1], trajectories.shape[-2:])
        tokens = trajectory_tokens(trajectories.float(), k)
        if self.whole_pixels:
            tokens = tokens.trunc().clamp(-RELEASE_CLIP, RELEASE_CLIP)
        target = normalize_trajectory_tokens(tokens, self.norm,
                                             self.patch_std_min_std,
                                             self.scale)
        return target, token_validity(traj_valid, k)

    def _check_grid(self, slices: int, cells: Tuple[int, int]) -> None:
        """Raise if the trajectories do not cover the backbone's tokens."""
        k = self.cells_per_patch
        if self.token_grid is None:
            expected = (slices, *(c - c % k for c in cells))
        else:
            t, h, w = self.token_grid
            expected = (t, h * k, w * k)
        if slices != expected[0]:
            raise ValueError(
                f'The pipeline delivers trajectories for {slices} tubelets, '
                f'the backbone has {expected[0]} '
                '(DecordDecodeWithTrajectoryFrames.tubelet_size against '
                'model.backbone.tubelet_size): set them equal.')
        if tuple(cells) != expected[1:]:
            raise ValueError(
                f'The pipeline delivers a {cells[0]} x {cells[1]} grid of '
                f'trajectory cells, the model needs {expected[1]} x '
                f'{expected[2]} ({k} x {k} cells of '
                f'model.motion_generator.cell_size={self.cell_size} px per '
                'token): set TrajectoryTarget.cell_size to '
                f'{self.cell_size}, or both to one value that divides '
                'model.backbone.patch_size.')

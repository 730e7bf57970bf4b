"""MME's motion target: per-token trajectories from per-cell steps."""
from typing import Tuple

import torch
from mmaction.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor

from .trajectory_norms import (normalize_trajectory_tokens,
                               trajectory_channels, trajectory_target_unit)
from .trajectory_tokens import token_validity, trajectory_tokens


@MODELS.register_module()
class TrajectoryTargetGenerator(BaseModule):
    """Trajectory targets and validity of every token (docs/method.md §4.4).

    The data pipeline (``TrajectoryTarget``) delivers per-step displacements
    of the seeds of the final frame's cell grid; this groups the
    ``cells_per_patch**2`` sub-trajectories of each token and normalises
    them into regression targets.

    Args:
        traj_len (int): Steps per trajectory L the pipeline delivers (its
            ``DecordDecodeWithTrajectoryFrames.traj_len``). Defaults to 4.
        cells_per_patch (int): Cells per patch side (patch 16 / cell 8).
            Defaults to 2.
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
    """

    def __init__(self,
                 traj_len: int = 4,
                 cells_per_patch: int = 2,
                 norm: str = 'patch_std',
                 patch_std_min_std: float = 0.5,
                 scale: float = 1.) -> None:
        super().__init__()
        if scale <= 0:
            raise ValueError(f'scale must be positive, got {scale}.')
        self.out_channels = trajectory_channels(norm, traj_len,
                                                cells_per_patch**2)
        self.traj_len = traj_len
        self.cells_per_patch = cells_per_patch
        self.norm = norm
        self.patch_std_min_std = patch_std_min_std
        self.scale = scale

    @property
    def unit(self) -> str:
        """str: What one target value measures (e.g. ``'px'``)."""
        return trajectory_target_unit(self.norm, self.patch_std_min_std,
                                      self.scale)

    @torch.no_grad()
    def forward(self, trajectories: Tensor,
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
        """
        if trajectories.shape[2] != self.traj_len:
            raise ValueError(
                f'The model expects trajectories of traj_len={self.traj_len} '
                f'steps (model.motion_generator.traj_len), the pipeline '
                f'delivers {trajectories.shape[2]} '
                '(DecordDecodeWithTrajectoryFrames.traj_len): set both to '
                'the same value.')
        tokens = trajectory_tokens(trajectories.float(), self.cells_per_patch)
        target = normalize_trajectory_tokens(tokens, self.norm,
                                             self.patch_std_min_std,
                                             self.scale)
        return target, token_validity(traj_valid, self.cells_per_patch)

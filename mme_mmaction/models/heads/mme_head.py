"""Prediction MLPs and masked losses of Masked Motion Encoding."""
from typing import Dict, List, Optional, Tuple, Union

from mmaction.registry import MODELS
from mmcv.cnn import build_activation_layer
from mmengine.model import BaseModule
from torch import Tensor, nn

from mme_mmaction.motion import (normalize_trajectory_tokens, token_validity,
                                 trajectory_channels, trajectory_tokens)
from ..utils import gather_masked


def _mlp(in_channels: int, hidden_channels: int, out_channels: int,
         act_cfg: Optional[dict]) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(in_channels, hidden_channels), nn.GELU(),
        nn.Linear(hidden_channels, out_channels),
        build_activation_layer(act_cfg) if act_cfg else nn.Identity())


@MODELS.register_module()
class MMEPretrainHead(BaseModule):
    """Predicts trajectories and HOG of masked tokens; computes the losses.

    Per masked token the loss is the sum over dimensions of the squared
    error; the trajectory term is multiplied by the token's validity; each
    term is divided by the number of masked tokens (METHOD §6). The paper's
    loss ``(L_traj + L_hog) / 2`` is ``loss_weights=dict(traj=.5, hog=.5)``.

    Args:
        in_channels (int): Decoder width. Defaults to 192.
        hidden_channels (int): MLP hidden width. Defaults to 512.
        traj_len (int): Trajectory steps L. Defaults to 4.
        cells_per_patch (int): Sub-trajectories per patch side. Defaults to 2.
        hog_channels (int): HOG values per token. Defaults to 108.
        traj_act_cfg (dict, optional): Output activation of the trajectory
            MLP. Defaults to Tanh (the paper's, although PatchStd targets
            reach 1.5).
        hog_act_cfg (dict, optional): Output activation of the HOG MLP.
            Defaults to Sigmoid (the paper's, although HOG can exceed 1).
        traj_norm (str): Target normalisation, one of
            :data:`~mme_mmaction.motion.TRAJ_NORMS`: ``'patch_std'``
            (default, METHOD's), ``'none'`` (displacements in units of
            ``traj_scale`` pixels), ``'log'`` or ``'patch_std_mean'`` (ours;
            see :func:`~mme_mmaction.motion.normalize_trajectory_tokens`).
        patch_std_min_std (float): Noise floor of PatchStd in final-frame
            pixels (see :func:`~mme_mmaction.motion.patch_std`); 0 gives
            METHOD's formula exactly. Defaults to 0.5, which leaves every
            patch whose sub-cells differ by a pixel or more unchanged.
        traj_scale (float): Pixels per target unit of ``'none'``, ``'log'``
            and the mean channels of ``'patch_std_mean'``. Defaults to 1.
        loss_weights (dict): Weights of ``traj`` and ``hog``.
        init_cfg (dict | list[dict], optional): Initialisation.
    """

    def __init__(self,
                 in_channels: int = 192,
                 hidden_channels: int = 512,
                 traj_len: int = 4,
                 cells_per_patch: int = 2,
                 hog_channels: int = 108,
                 traj_act_cfg: Optional[dict] = dict(type='Tanh'),
                 hog_act_cfg: Optional[dict] = dict(type='Sigmoid'),
                 traj_norm: str = 'patch_std',
                 patch_std_min_std: float = 0.5,
                 traj_scale: float = 1.,
                 loss_weights: Dict[str, float] = dict(traj=0.5, hog=0.5),
                 init_cfg: Optional[Union[dict, List[dict]]] = dict(
                     type='TruncNormal', layer='Linear', std=0.02,
                     bias=0.)) -> None:
        super().__init__(init_cfg=init_cfg)
        traj_channels = trajectory_channels(traj_norm, traj_len,
                                            cells_per_patch**2)
        if traj_scale <= 0:
            raise ValueError(f'traj_scale must be positive, got {traj_scale}')
        self.cells_per_patch = cells_per_patch
        self.traj_len = traj_len
        self.traj_norm = traj_norm
        self.patch_std_min_std = patch_std_min_std
        self.traj_scale = traj_scale
        self.loss_weights = dict(loss_weights)
        self.traj_pred = _mlp(in_channels, hidden_channels, traj_channels,
                              traj_act_cfg)
        self.hog_pred = _mlp(in_channels, hidden_channels, hog_channels,
                             hog_act_cfg)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Predict targets from decoder features.

        Args:
            x (Tensor): (B, N_masked, in_channels).

        Returns:
            tuple[Tensor, Tensor]: trajectories (B, N_masked, C), C =
            2*L*k*k (plus 2*L for ``'patch_std_mean'``), and HOG
            (B, N_masked, hog_channels).
        """
        return self.traj_pred(x), self.hog_pred(x)

    def trajectory_target(self, traj: Tensor,
                          valid: Tensor) -> Tuple[Tensor, Tensor]:
        """Per-token trajectory targets and validity.

        Args:
            traj (Tensor): (B, T', L, 2, Hc, Wc) per-step displacements.
            valid (Tensor): (B, T', Hc, Wc) bool seed validity.

        Returns:
            tuple[Tensor, Tensor]: (B, N, C) targets (see :meth:`forward`;
            per-cell values in (c, step, h2, w2) order), and (B, N) float
            token validity.
        """
        tokens = trajectory_tokens(traj.float(), self.cells_per_patch)
        target = normalize_trajectory_tokens(tokens, self.traj_norm,
                                             self.patch_std_min_std,
                                             self.traj_scale)
        return target, token_validity(valid, self.cells_per_patch)

    def loss(self, x: Tensor, mask: Tensor, target: Tensor,
             trajectories: Tensor, traj_valid: Tensor) -> Dict[str, Tensor]:
        """Masked losses.

        Args:
            x (Tensor): (B, N_masked, in_channels) decoder features of the
                masked tokens in ascending order.
            mask (Tensor): (B, N) bool, True for masked tokens.
            target (Tensor): (B, N, hog_channels) HOG targets of all tokens.
            trajectories (Tensor): (B, T', L, 2, Hc, Wc) trajectories.
            traj_valid (Tensor): (B, T', Hc, Wc) bool seed validity.

        Returns:
            dict[str, Tensor]: weighted ``loss_traj`` and ``loss_hog``.
        """
        if trajectories.shape[2] != self.traj_len:
            raise ValueError(
                f'The trajectory head predicts trajectories of traj_len='
                f'{self.traj_len} steps, but the pipeline delivers '
                f'{trajectories.shape[2]}: set model.head.traj_len and '
                'traj_len of TrajectoryTarget and '
                'DecordDecodeWithTrajectoryFrames to the same value.')
        pred_traj, pred_hog = self(x)
        target_traj, validity = self.trajectory_target(trajectories,
                                                       traj_valid)
        num_masked = mask.sum().clamp(min=1)
        err_traj = (pred_traj.float() -
                    gather_masked(target_traj, mask)).pow(2).sum(-1)
        err_hog = (pred_hog.float() -
                   gather_masked(target.float(), mask)).pow(2).sum(-1)
        loss_traj = (err_traj *
                     gather_masked(validity, mask)).sum() / num_masked
        loss_hog = err_hog.sum() / num_masked
        return dict(
            loss_traj=self.loss_weights['traj'] * loss_traj,
            loss_hog=self.loss_weights['hog'] * loss_hog)

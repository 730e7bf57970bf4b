"""Prediction MLPs and masked losses of Masked Motion Encoding."""
from typing import Dict, List, Optional, Tuple, Union

from mmaction.registry import MODELS
from mmcv.cnn import build_activation_layer
from mmengine.model import BaseModule
from torch import Tensor, nn

from ..utils import check_width, gather_masked


def _mlp(in_channels: int, hidden_channels: int, out_channels: int,
         act_cfg: Optional[dict]) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(in_channels, hidden_channels), nn.GELU(),
        nn.Linear(hidden_channels, out_channels),
        build_activation_layer(act_cfg) if act_cfg else nn.Identity())


def _masked_sum_of_squares(pred: Tensor, target: Tensor,
                           mask: Tensor) -> Tensor:
    """(B, N_masked) summed squared error of the masked tokens."""
    return (pred.float() - gather_masked(target.float(), mask)).pow(2).sum(-1)


@MODELS.register_module()
class MMEPretrainHead(BaseModule):
    """Predicts trajectories and HOG of masked tokens; computes the losses.

    Per masked token the loss is the sum over dimensions of the squared
    error; the trajectory term is multiplied by the token's validity; each
    term is divided by the number of masked tokens (docs/method.md §6). The
    paper's loss ``(L_traj + L_hog) / 2`` is ``loss_weights=dict(traj=.5,
    hog=.5)``.

    Args:
        in_channels (int, optional): Decoder width; the algorithm sets it
            from its decoder.
        hidden_channels (int): MLP hidden width. Defaults to 512.
        traj_channels (int, optional): Trajectory values per token; the
            algorithm sets it from its motion target generator.
        hog_channels (int, optional): HOG values per token; the algorithm
            sets it from its appearance target generator.
        traj_act_cfg (dict, optional): Output activation of the trajectory
            MLP. Defaults to Tanh (the paper's, although PatchStd targets
            reach 1.5).
        hog_act_cfg (dict, optional): Output activation of the HOG MLP.
            Defaults to Sigmoid (the paper's, although HOG can exceed 1).
        loss_weights (dict): Weights of ``traj`` and ``hog``.
        init_cfg (dict | list[dict], optional): Initialisation.
    """

    def __init__(self,
                 in_channels: Optional[int] = None,
                 hidden_channels: int = 512,
                 traj_channels: Optional[int] = None,
                 hog_channels: Optional[int] = None,
                 traj_act_cfg: Optional[dict] = dict(type='Tanh'),
                 hog_act_cfg: Optional[dict] = dict(type='Sigmoid'),
                 loss_weights: Dict[str, float] = dict(traj=0.5, hog=0.5),
                 init_cfg: Optional[Union[dict, List[dict]]] = dict(
                     type='TruncNormal', layer='Linear', std=0.02,
                     bias=0.)) -> None:
        super().__init__(init_cfg=init_cfg)
        self.loss_weights = dict(loss_weights)
        self.traj_channels = traj_channels
        self.hog_channels = hog_channels
        self.traj_pred = _mlp(in_channels, hidden_channels, traj_channels,
                              traj_act_cfg)
        self.hog_pred = _mlp(in_channels, hidden_channels, hog_channels,
                             hog_act_cfg)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Predict targets from decoder features.

        Args:
            x (Tensor): (B, N_masked, in_channels).

        Returns:
            tuple[Tensor, Tensor]: trajectories (B, N_masked,
            traj_channels) and HOG (B, N_masked, hog_channels).
        """
        return self.traj_pred(x), self.hog_pred(x)

    def loss(self, x: Tensor, traj_target: Tensor, traj_validity: Tensor,
             hog_target: Tensor, mask: Tensor) -> Dict[str, Tensor]:
        """Masked losses.

        Args:
            x (Tensor): (B, N_masked, in_channels) decoder features of the
                masked tokens in ascending order.
            traj_target (Tensor): (B, N, traj_channels) trajectory targets.
            traj_validity (Tensor): (B, N) float token validity.
            hog_target (Tensor): (B, N, hog_channels) HOG targets.
            mask (Tensor): (B, N) bool, True for masked tokens.

        Returns:
            dict[str, Tensor]: weighted ``loss_traj`` and ``loss_hog``.
        """
        check_width(traj_target, self.traj_channels, 'traj_channels')
        check_width(hog_target, self.hog_channels, 'hog_channels')
        pred_traj, pred_hog = self(x)
        num_masked = mask.sum().clamp(min=1)
        err_traj = _masked_sum_of_squares(pred_traj, traj_target, mask)
        err_hog = _masked_sum_of_squares(pred_hog, hog_target, mask)
        loss_traj = (err_traj *
                     gather_masked(traj_validity, mask)).sum() / num_masked
        return dict(
            loss_traj=self.loss_weights['traj'] * loss_traj,
            loss_hog=self.loss_weights['hog'] * err_hog.sum() / num_masked)

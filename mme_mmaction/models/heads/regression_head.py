"""Regression of masked tokens' targets: VideoMAE's pixels, MME's
trajectories and HOG, the siblings' frame differences."""
from typing import List, Optional, Union

from mmaction.registry import MODELS
from mmcv.cnn import build_activation_layer
from torch import Tensor, nn

from ..utils import check_width, gather_masked
from .base import MaskedTokenHead

REDUCTIONS = ('mean', 'token_sum')


@MODELS.register_module()
class MaskedRegressionHead(MaskedTokenHead):
    """Predicts every masked token's target values; squared error.

    A linear layer (VideoMAE), or with ``hidden_channels`` an MLP ``Linear
    GELU Linear`` (MME's), then an optional output activation. Per masked
    token the squared errors are averaged (``reduction='mean'``, VideoMAE)
    or summed (``'token_sum'``, MME, docs/method.md §6) over its values,
    multiplied by the token's weight if the target generator gives one
    (MME's trajectory validity), and averaged over the masked tokens.

    Args:
        in_channels (int, optional): Decoder width; the algorithm sets it
            from its decoder.
        out_channels (int, optional): Target values per token; the
            algorithm sets it from its target generator.
        hidden_channels (int, optional): Hidden width of an MLP. Defaults
            to None (one linear layer).
        act_cfg (dict, optional): Output activation, e.g. ``dict(type=
            'Tanh')``. Defaults to None.
        reduction (str): ``'mean'`` (default) or ``'token_sum'``.
        loss_name (str): The loss is logged as ``loss_<loss_name>``; the
            algorithm's predictions are ``pred_<loss_name>``. Defaults to
            ``'pixel'``.
        loss_weight (float): Factor of the loss. Defaults to 1.
        init_cfg (dict | list[dict], optional): Initialisation. Defaults to
            VideoMAE's (Xavier uniform).
    """

    def __init__(self,
                 in_channels: Optional[int] = None,
                 out_channels: Optional[int] = None,
                 hidden_channels: Optional[int] = None,
                 act_cfg: Optional[dict] = None,
                 reduction: str = 'mean',
                 loss_name: str = 'pixel',
                 loss_weight: float = 1.,
                 init_cfg: Optional[Union[dict, List[dict]]] = dict(
                     type='Xavier', layer='Linear',
                     distribution='uniform')) -> None:
        super().__init__(loss_name, loss_weight, init_cfg)
        if reduction not in REDUCTIONS:
            raise ValueError(f'reduction must be one of {REDUCTIONS}, got '
                             f'{reduction!r}.')
        activation = build_activation_layer(act_cfg) if act_cfg else None
        if hidden_channels is None:
            layers = [nn.Linear(in_channels, out_channels)]
        else:
            layers = [
                nn.Linear(in_channels, hidden_channels),
                nn.GELU(),
                nn.Linear(hidden_channels, out_channels)
            ]
        self.pred = (layers[0] if len(layers) == 1 and activation is None
                     else nn.Sequential(*layers, activation or nn.Identity()))
        self.out_channels = out_channels
        self.reduction = reduction

    def forward(self, x: Tensor) -> Tensor:
        """(B, N_masked, in_channels) -> (B, N_masked, out_channels)."""
        return self.pred(x)

    def token_losses(self, x: Tensor, target: Tensor,
                     mask: Tensor) -> Tensor:
        """Squared error of each masked token, (B, N_masked).

        Args:
            x (Tensor): (B, N_masked, in_channels) decoder features of the
                masked tokens in ascending order.
            target (Tensor): (B, N, out_channels) targets of all tokens.
            mask (Tensor): (B, N) bool, True for masked tokens.
        """
        check_width(target, self.out_channels, 'out_channels')
        error = (self(x).float() -
                 gather_masked(target.float(), mask)).pow(2)
        return (error.sum(-1) if self.reduction == 'token_sum' else
                error.mean(-1))

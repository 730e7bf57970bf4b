"""A linear prediction of dense per-token targets, mean squared error."""
from typing import Dict, Optional

from mmaction.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn

from ..utils import check_width, gather_masked


@MODELS.register_module()
class PixelPretrainHead(BaseModule):
    """Linear prediction of masked tokens' values, mean squared error.

    VideoMAE's pixel head; MotionMAE and MAM2 use it for their frame
    difference targets too (``loss_name='diff'``).

    Args:
        in_channels (int, optional): Decoder width; the algorithm sets it
            from its decoder.
        out_channels (int, optional): Target values per token (pixels: 2 x
            16 x 16 x 3 = 1536); the algorithm sets it from its target
            generator.
        loss_name (str): The loss is logged as ``loss_<loss_name>``.
            Defaults to ``'pixel'``.
        loss_weight (float): Factor of the loss. Defaults to 1.
        init_cfg (dict, optional): Initialisation.
    """

    def __init__(self,
                 in_channels: Optional[int] = None,
                 out_channels: Optional[int] = None,
                 loss_name: str = 'pixel',
                 loss_weight: float = 1.,
                 init_cfg: dict = dict(type='Xavier', layer='Linear',
                                       distribution='uniform')) -> None:
        super().__init__(init_cfg=init_cfg)
        self.pred = nn.Linear(in_channels, out_channels)
        self.loss_name = loss_name
        self.loss_weight = loss_weight

    def forward(self, x: Tensor) -> Tensor:
        """(B, N_masked, in_channels) -> (B, N_masked, out_channels)."""
        return self.pred(x)

    def loss(self, x: Tensor, target: Tensor, mask: Tensor) -> Dict[str,
                                                                    Tensor]:
        """Mean squared error over masked tokens and their values.

        Args:
            x (Tensor): (B, N_masked, in_channels) decoder features.
            target (Tensor): (B, N, out_channels) targets of all tokens.
            mask (Tensor): (B, N) bool, True for masked tokens.

        Returns:
            dict[str, Tensor]: ``loss_<loss_name>``.
        """
        target = gather_masked(target.float(), mask)
        check_width(target, self.pred.out_features, 'out_channels')
        error = self(x).float() - target
        loss = self.loss_weight * error.pow(2).mean()
        return {f'loss_{self.loss_name}': loss}

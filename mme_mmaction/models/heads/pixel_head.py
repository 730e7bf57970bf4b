"""VideoMAE's pixel-reconstruction head."""
from typing import Dict

from mmaction.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn

from ..utils import gather_masked


@MODELS.register_module()
class PixelPretrainHead(BaseModule):
    """Linear prediction of masked tokens' pixels, mean squared error.

    Args:
        in_channels (int): Decoder width. Defaults to 192.
        out_channels (int): Pixels per token (2 x 16 x 16 x 3 = 1536).
        init_cfg (dict, optional): Initialisation.
    """

    def __init__(self, in_channels: int = 192, out_channels: int = 1536,
                 init_cfg: dict = dict(type='Xavier', layer='Linear',
                                       distribution='uniform')) -> None:
        super().__init__(init_cfg=init_cfg)
        self.pred = nn.Linear(in_channels, out_channels)

    def forward(self, x: Tensor) -> Tensor:
        """(B, N_masked, in_channels) -> (B, N_masked, out_channels)."""
        return self.pred(x)

    def loss(self, x: Tensor, mask: Tensor, target: Tensor) -> Dict[str,
                                                                    Tensor]:
        """Mean squared error over masked tokens and their values.

        Args:
            x (Tensor): (B, N_masked, in_channels) decoder features.
            mask (Tensor): (B, N) bool, True for masked tokens.
            target (Tensor): (B, N, out_channels) pixel targets.

        Returns:
            dict[str, Tensor]: ``loss_pixel``.
        """
        error = self(x).float() - gather_masked(target.float(), mask)
        return dict(loss_pixel=error.pow(2).mean())

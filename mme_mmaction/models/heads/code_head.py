"""Classification of masked tokens' codes (MAM2's appearance target)."""
from typing import Dict, Optional

import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn

from ..utils import check_width, gather_masked


@MODELS.register_module()
class CodePredictionHead(BaseModule):
    """Linear logits for each of a token's codes, cross-entropy.

    Args:
        in_channels (int, optional): Decoder width; the algorithm sets it.
        num_codes (int, optional): Codes per token; the algorithm sets it
            from its tokenizer.
        num_classes (int, optional): Codebook size; the algorithm sets it
            from its tokenizer.
        loss_name (str): The loss is logged as ``loss_<loss_name>``.
            Defaults to ``'code'``.
        loss_weight (float): Factor of the loss. Defaults to 1.
        init_cfg (dict, optional): Initialisation.
    """

    def __init__(self,
                 in_channels: Optional[int] = None,
                 num_codes: Optional[int] = None,
                 num_classes: Optional[int] = None,
                 loss_name: str = 'code',
                 loss_weight: float = 1.,
                 init_cfg: dict = dict(type='TruncNormal', layer='Linear',
                                       std=0.02, bias=0.)) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_codes = num_codes
        self.num_classes = num_classes
        self.pred = nn.Linear(in_channels, num_codes * num_classes)
        self.loss_name = loss_name
        self.loss_weight = loss_weight

    def forward(self, x: Tensor) -> Tensor:
        """(B, N_masked, in_channels) -> (B, N_masked, num_codes, classes)."""
        return self.pred(x).unflatten(-1, (self.num_codes, self.num_classes))

    def loss(self, x: Tensor, target: Tensor, mask: Tensor) -> Dict[str,
                                                                    Tensor]:
        """Cross-entropy averaged over masked tokens and their codes.

        Args:
            x (Tensor): (B, N_masked, in_channels) decoder features.
            target (Tensor): (B, N, num_codes) int64 codes of all tokens.
            mask (Tensor): (B, N) bool, True for masked tokens.

        Returns:
            dict[str, Tensor]: ``loss_<loss_name>``.
        """
        check_width(target, self.num_codes, 'num_codes')
        logits = self(x).float()
        loss = F.cross_entropy(
            logits.flatten(0, 2), gather_masked(target, mask).flatten())
        return {f'loss_{self.loss_name}': self.loss_weight * loss}

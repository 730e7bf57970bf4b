"""Classification of masked tokens' codes (MAM2's appearance target)."""
from typing import Optional

import torch.nn.functional as F
from mmaction.registry import MODELS
from torch import Tensor, nn

from ..utils import check_width, gather_masked
from .base import MaskedTokenHead


@MODELS.register_module()
class CodePredictionHead(MaskedTokenHead):
    """Linear logits for each of a token's codes, cross-entropy.

    Args:
        in_channels (int, optional): Decoder width; the algorithm sets it.
        codes_per_token (int, optional): Codes per token; the algorithm
            sets it from its tokenizer.
        num_classes (int, optional): Codebook size; the algorithm sets it
            from its tokenizer.
        loss_name (str): The loss is logged as ``loss_<loss_name>``.
            Defaults to ``'code'``.
        loss_weight (float): Factor of the loss. Defaults to 1.
        init_cfg (dict, optional): Initialisation.
    """

    def __init__(self,
                 in_channels: Optional[int] = None,
                 codes_per_token: Optional[int] = None,
                 num_classes: Optional[int] = None,
                 loss_name: str = 'code',
                 loss_weight: float = 1.,
                 init_cfg: dict = dict(type='TruncNormal', layer='Linear',
                                       std=0.02, bias=0.)) -> None:
        super().__init__(loss_name, loss_weight, init_cfg)
        self.codes_per_token = codes_per_token
        self.num_classes = num_classes
        self.pred = nn.Linear(in_channels, codes_per_token * num_classes)

    def forward(self, x: Tensor) -> Tensor:
        """(B, N_masked, in_channels) -> (B, N_masked, codes, classes)."""
        return self.pred(x).unflatten(
            -1, (self.codes_per_token, self.num_classes))

    def predict(self, x: Tensor) -> Tensor:
        """Most likely codes, (B, N_masked, codes_per_token) int64."""
        return self(x).argmax(-1)

    def token_losses(self, x: Tensor, target: Tensor,
                     mask: Tensor) -> Tensor:
        """Cross-entropy of each masked token, averaged over its codes.

        Args:
            x (Tensor): (B, N_masked, in_channels) decoder features.
            target (Tensor): (B, N, codes_per_token) int64 codes of all
                tokens.
            mask (Tensor): (B, N) bool, True for masked tokens.

        Returns:
            Tensor: (B, N_masked).
        """
        check_width(target, self.codes_per_token, 'codes_per_token')
        logits = self(x).float()
        per_code = F.cross_entropy(
            logits.flatten(0, 2), gather_masked(target, mask).flatten(),
            reduction='none').view(logits.shape[:3])
        return per_code.mean(-1)

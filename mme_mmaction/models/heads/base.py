"""What every prediction head offers a masked pre-training algorithm."""
from typing import Dict, List, Optional, Union

from mmengine.model import BaseModule
from torch import Tensor

from ..utils import gather_masked


class MaskedTokenHead(BaseModule):
    """The interface of a prediction head, and its weighted token mean.

    ``head.loss(x, target, mask, weight=None)`` gives ``{'loss_<name>':
    value}``: the mean over the masked tokens of each token's loss
    (:meth:`token_losses`), each multiplied by its weight if the target
    generator gives one, times ``loss_weight``. ``head.predict(x)`` gives
    the predictions in the target's own terms.

    Args:
        loss_name (str): The loss is logged as ``loss_<loss_name>``; the
            algorithm's predictions are ``pred_<loss_name>``.
        loss_weight (float): Factor of the loss.
        init_cfg (dict | list[dict], optional): Initialisation.
    """

    def __init__(self,
                 loss_name: str,
                 loss_weight: float = 1.,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.loss_name = loss_name
        self.loss_weight = loss_weight

    def token_losses(self, x: Tensor, target: Tensor,
                     mask: Tensor) -> Tensor:
        """(B, N_masked) loss of every masked token.

        Args:
            x (Tensor): (B, N_masked, in_channels) decoder features of the
                masked tokens in ascending order.
            target (Tensor): (B, N, ...) targets of all tokens.
            mask (Tensor): (B, N) bool, True for masked tokens.
        """
        raise NotImplementedError

    def predict(self, x: Tensor) -> Tensor:
        """Predictions of the masked tokens, (B, N_masked, ...)."""
        return self(x)

    def loss(self,
             x: Tensor,
             target: Tensor,
             mask: Tensor,
             weight: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """The weighted mean over masked tokens of their losses.

        Args:
            x (Tensor): (B, N_masked, in_channels) decoder features of the
                masked tokens in ascending order.
            target (Tensor): (B, N, ...) targets of all tokens.
            mask (Tensor): (B, N) bool, True for masked tokens.
            weight (Tensor, optional): (B, N) float weight of each token.

        Returns:
            dict[str, Tensor]: ``loss_<loss_name>``.
        """
        per_token = self.token_losses(x, target, mask)
        if weight is not None:
            per_token = per_token * gather_masked(weight.float(), mask)
        loss = per_token.sum() / mask.sum().clamp(min=1)
        return {f'loss_{self.loss_name}': self.loss_weight * loss}

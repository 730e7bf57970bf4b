"""What every target generator offers a masked pre-training algorithm."""
from typing import Dict, List, Optional, Tuple

from mmengine.model import BaseModule
from mmengine.structures import BaseDataElement
from torch import Tensor


class TargetGenerator(BaseModule):
    """The interface of a target generator.

    ``generator(inputs, data_samples)`` gives ``(target, weight)``: target
    (B, N, D) values of every token in (t, h, w) order, and an optional
    (B, N) float weight of each token's loss (None: all 1). A generator
    reads the normalised clips and the data-sample fields it declares in
    :attr:`sample_keys` (which ``PackPretrainInputs`` packs), and takes
    ``patch_size`` / ``tubelet_size`` from the model's backbone where it
    has those arguments. This base serves generators that need the clips
    only: they implement :meth:`targets`.

    Attributes:
        sample_keys (tuple[str]): Data-sample fields :meth:`forward` reads.
    """

    sample_keys: Tuple[str, ...] = ()

    def head_sizes(self) -> Dict[str, int]:
        """Sizes of the prediction head this target fixes."""
        return dict(out_channels=self.out_channels)

    def targets(self, video: Tensor) -> Tensor:
        """(B, N, D) targets of (B, C, T, H, W) normalised clips."""
        raise NotImplementedError

    def forward(
        self,
        inputs: Tensor,
        data_samples: Optional[List[BaseDataElement]] = None
    ) -> Tuple[Tensor, Optional[Tensor]]:
        """Targets of every token, and no weights.

        Args:
            inputs (Tensor): (B, C, T, H, W) normalised clips.
            data_samples (list[BaseDataElement], optional): Unused here.

        Returns:
            tuple[Tensor, None]: (B, N, D) targets, no weights.
        """
        return self.targets(inputs), None

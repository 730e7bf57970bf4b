"""Packing of pre-training samples: one step, no keys to list by hand."""
from typing import Sequence

from mmaction.datasets.transforms import PackActionInputs
from mmaction.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackPretrainInputs(PackActionInputs):
    """``PackActionInputs`` that packs every field our pre-training
    transforms add, where present.

    The fields are :attr:`FIELDS`: the mask (``TubeMaskGenerator``,
    ``SliceRandomMaskGenerator``) and the trajectories and their validity
    (``TrajectoryTarget``). Each target generator of a model declares the
    fields it reads (``sample_keys``); every declared field is one of these,
    so a pipeline needs no ``algorithm_keys`` list to match its model. A
    field that no step of the pipeline adds is left out, and the model
    names it on the first batch.

    Required keys: ``imgs``; optional: :attr:`FIELDS`, ``meta_keys``.
    Added keys: ``inputs``, ``data_samples``.

    Args:
        meta_keys (Sequence[str]): Meta information kept in the data
            sample, where present. Defaults to ``('img_shape', 'filename',
            'traj_checks')``: the file names the batch in errors, the
            trajectory checks' counts are logged per epoch.
    """

    FIELDS = ('mask', 'trajectories', 'traj_valid')

    def __init__(self,
                 meta_keys: Sequence[str] = ('img_shape', 'filename',
                                             'traj_checks')) -> None:
        super().__init__(meta_keys=meta_keys, algorithm_keys=self.FIELDS)

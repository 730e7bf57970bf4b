"""Mixed-precision training that also works without a GPU."""
from contextlib import contextmanager
from typing import Iterator, Optional

import torch
from mmaction.registry import OPTIM_WRAPPERS
from mmengine.device import (is_cuda_available, is_mlu_available,
                             is_musa_available, is_npu_available)
from mmengine.logging import print_log
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from torch import nn


def cpu_supports_bf16() -> bool:
    """Whether this CPU has native bf16 matrix instructions (oneDNN)."""
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def _amp_device_available() -> bool:
    """Whether mmengine's ``AmpOptimWrapper`` runs here (what it asserts)."""
    return (is_cuda_available() or is_npu_available() or is_mlu_available()
            or is_musa_available())


@OPTIM_WRAPPERS.register_module()
class MixedPrecisionOptimWrapper(OptimWrapper):
    """AMP on accelerators, bf16 autocast on CPU, fp32 where neither helps.

    mmengine's ``AmpOptimWrapper`` refuses to run without an accelerator.
    Where it runs (CUDA, NPU, MLU, MUSA) this builds exactly that wrapper
    (loss scaling, ``dtype`` as given). On a CPU with bf16 instructions it
    autocasts the forward pass to bfloat16, which needs no loss scaling and
    is faster than fp32 there; on other CPUs it trains in fp32 and says so.

    It is registered under this name only: ``AmpOptimWrapper`` stays
    mmengine's. Our configs name it, and our ``tools/train.py --amp``
    selects it.

    Args:
        dtype (str, optional): Autocast dtype on an accelerator: None
            (float16, as mmengine's default), ``'float16'`` or
            ``'bfloat16'``. The CPU always uses bfloat16. Defaults to None.
        loss_scale (str | float | dict): Loss scaling on an accelerator, as
            in ``AmpOptimWrapper``. Defaults to ``'dynamic'``.
        **kwargs: Arguments of ``OptimWrapper`` (``optimizer``,
            ``clip_grad``, ``accumulative_counts``).
    """

    def __new__(cls, *args, dtype: Optional[str] = None,
                loss_scale='dynamic', **kwargs):
        if _amp_device_available():
            return AmpOptimWrapper(
                *args, dtype=dtype, loss_scale=loss_scale, **kwargs)
        return super().__new__(cls)

    def __init__(self, *args, dtype: Optional[str] = None,
                 loss_scale='dynamic', **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cast_dtype: Optional[torch.dtype] = None
        if cpu_supports_bf16():
            self.cast_dtype = torch.bfloat16
        else:
            print_log(
                'This CPU has no bf16 instructions: training in fp32.',
                logger='current')

    @contextmanager
    def optim_context(self, model: nn.Module) -> Iterator[None]:
        """Autocast the forward pass on CPU when bf16 is available."""
        with super().optim_context(model), torch.autocast(
                'cpu', dtype=torch.bfloat16,
                enabled=self.cast_dtype is not None):
            yield

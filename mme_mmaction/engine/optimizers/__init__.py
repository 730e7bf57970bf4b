from .layer_decay_optim_wrapper_constructor import \
    LayerDecayOptimWrapperConstructor
from .mixed_precision_optim_wrapper import (MixedPrecisionOptimWrapper,
                                            cpu_supports_bf16)

__all__ = [
    'MixedPrecisionOptimWrapper', 'cpu_supports_bf16',
    'LayerDecayOptimWrapperConstructor'
]

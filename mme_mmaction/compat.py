"""Fixes for running mmaction2 1.2.0 and mmengine 0.10.7 on current torch.

This is the only module of the package that changes third-party behaviour.
Each fix is idempotent, applied once by :func:`apply` when ``mme_mmaction``
is imported, a no-op on a stack that does not need it, and listed in
``docs/faq.md`` with what it changes and for whom:

1. a stand-in for the DRN localizer missing from the mmaction2 wheel;
2. the classes mmengine pickles into checkpoints are allowed under
   ``torch.load(weights_only=True)`` (nothing else: full unpickling stays
   refused);
3. MMAction2's heads compute their loss from bfloat16 scores (which their
   top-k accuracy cannot take) in float32; other dtypes are untouched;
4. mmcv-lite's warning about its missing compiled deformable attention is
   silenced, and only that warning.

Registering the package's components changes nothing of theirs: each has
a name of its own, and the plugin takes over no name of MMAction2 or
mmengine (``AmpOptimWrapper`` stays mmengine's; CPU-capable mixed precision
is :class:`~mme_mmaction.engine.MixedPrecisionOptimWrapper`, which our
configs name). Likewise, distributed runs on CPU-only hosts are not a
patch: they are :class:`~mme_mmaction.engine.AnyDeviceRunner`, which our
configs select.
"""
import functools
import importlib.util
import os
import pickle
import sys
import types
import warnings
from typing import Any

import torch

_applied = False


def _stub_missing_drn() -> None:
    """Let ``import mmaction.models`` succeed without the DRN localizer.

    The mmaction2 1.2.0 wheel does not ship ``mmaction/models/localizers/drn``
    (upstream issue #2714) although ``localizers/__init__.py`` imports it.
    The stand-in is registered as ``DRN``, so that building one from a
    config raises an ImportError that says why.
    """
    if 'mmaction.models.localizers.drn.drn' in sys.modules:
        return
    # find_spec of a submodule would import mmaction.models, which fails.
    spec = importlib.util.find_spec('mmaction')
    if spec is None or os.path.isdir(
            os.path.join(os.path.dirname(spec.origin), 'models', 'localizers',
                         'drn')):
        return
    from mmaction.registry import MODELS

    class DRN:
        """Stand-in: DRN is missing from the mmaction2 1.2.0 wheel."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise ImportError(
                'DRN is unavailable: the installed mmaction2 wheel lacks '
                'mmaction/models/localizers/drn (mmaction2 issue #2714).')

    MODELS.register_module(name='DRN', module=DRN)
    package = types.ModuleType('mmaction.models.localizers.drn')
    package.__path__ = []
    module = types.ModuleType('mmaction.models.localizers.drn.drn')
    module.DRN = DRN
    package.drn = module
    sys.modules[package.__name__] = package
    sys.modules[module.__name__] = module


def _history_buffer_getattr(owner: Any, name: str) -> Any:
    """The one ``getattr`` an mmengine checkpoint needs when unpickled.

    ``HistoryBuffer`` pickles its statistics methods (``min``, ``max``,
    ``current``, ``mean``, ...) as ``getattr(HistoryBuffer, name)``. This
    stands in for ``builtins.getattr`` under ``weights_only=True`` and
    allows exactly that, so no other attribute of any object can be reached.
    """
    from mmengine.logging import HistoryBuffer
    if owner is HistoryBuffer and callable(vars(HistoryBuffer).get(name)):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'getattr({owner!r}, {name!r}) is not allowed in a weights_only '
        'checkpoint (only the statistics methods of mmengine\'s '
        'HistoryBuffer are).')


def _allow_mmengine_checkpoint_objects() -> None:
    """Let ``weights_only=True`` load what mmengine's Runner saves.

    torch >= 2.6 loads with ``weights_only=True``, which rejects the
    ``HistoryBuffer`` and numpy objects of every checkpoint's message hub
    (so ``resume`` and ``load_from`` fail). We allow those classes, found by
    ``torch.serialization.get_unsafe_globals_in_checkpoint`` on checkpoints
    of real Runners, and nothing that can run code.
    """
    import numpy as np
    from mmengine.logging import HistoryBuffer
    if not hasattr(torch.serialization, 'add_safe_globals'):
        return  # torch < 2.4 loads full pickles anyway
    numpy_types = [np.ndarray, np.dtype]
    # The concrete dtype classes (numpy >= 1.25), e.g. Float64DType.
    numpy_types += [type(np.dtype(code)) for code in '?bBhHiIlLqQefdgFDG']
    torch.serialization.add_safe_globals([
        HistoryBuffer, *numpy_types, np.core.multiarray._reconstruct,
        np.core.multiarray.scalar,
        (_history_buffer_getattr, 'builtins.getattr')
    ])


def _fp32_scores_for_bf16_loss() -> None:
    """Let MMAction2's heads compute their loss from bfloat16 scores.

    ``BaseHead.loss_by_feat`` calls ``.numpy()`` on the scores for its
    top-k accuracy, which fails for bfloat16 (CPU autocast, or bf16 AMP).
    Such scores are cast to float32; scores of any other dtype reach the
    original method unchanged, so fp32 and fp16 training behave as stock.
    """
    from mmaction.models.heads.base import BaseHead
    loss_by_feat = BaseHead.loss_by_feat
    if hasattr(loss_by_feat, '__wrapped__'):
        return

    @functools.wraps(loss_by_feat)
    def loss_by_feat_bf16_as_fp32(self: BaseHead, cls_scores: torch.Tensor,
                                  *args: Any, **kwargs: Any) -> dict:
        if cls_scores.dtype == torch.bfloat16:
            cls_scores = cls_scores.float()
        return loss_by_feat(self, cls_scores, *args, **kwargs)

    BaseHead.loss_by_feat = loss_by_feat_bf16_as_fp32


def _quiet_mmcv_lite() -> None:
    """mmcv-lite has no compiled ops; ViTs never use the deformable one."""
    warnings.filterwarnings(
        'ignore',
        message=r'Fail to import ``MultiScaleDeformableAttention`` from '
        r'``mmcv\.ops\.multi_scale_deform_attn``',
        category=UserWarning,
        module=r'mmcv\.cnn\.bricks\.transformer')


def apply() -> None:
    """Apply every fix once; later calls do nothing."""
    global _applied
    if _applied:
        return
    _quiet_mmcv_lite()
    _stub_missing_drn()
    _allow_mmengine_checkpoint_objects()
    _fp32_scores_for_bf16_loss()
    _applied = True

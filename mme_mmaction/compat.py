"""Fixes for running mmaction2 1.2.0 and mmengine 0.10.7 on current torch.

This is the only module of the package that patches third-party code. Each
fix is idempotent and applied once, by :func:`apply`, when ``mme_mmaction``
is imported. Every fix is guarded so that it becomes a no-op on a stack that
no longer needs it.
"""
import functools
import importlib.util
import os
import sys
import types
import unittest.mock
import warnings
from typing import Any, Callable, Optional

import torch

_applied = False


def _stub_missing_drn() -> None:
    """Let ``import mmaction.models`` succeed without the DRN localizer.

    The mmaction2 1.2.0 wheel does not ship ``mmaction/models/localizers/drn``
    (upstream issue #2714) although ``localizers/__init__.py`` imports it.
    """
    if 'mmaction.models.localizers.drn.drn' in sys.modules:
        return
    # find_spec of a submodule would import mmaction.models, which fails.
    spec = importlib.util.find_spec('mmaction')
    if spec is None or os.path.isdir(
            os.path.join(os.path.dirname(spec.origin), 'models', 'localizers',
                         'drn')):
        return

    class DRN:
        """Placeholder: DRN is missing from the mmaction2 1.2.0 wheel."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise ImportError(
                'DRN is unavailable: the installed mmaction2 wheel lacks '
                'mmaction/models/localizers/drn (mmaction2 issue #2714).')

    package = types.ModuleType('mmaction.models.localizers.drn')
    package.__path__ = []
    module = types.ModuleType('mmaction.models.localizers.drn.drn')
    module.DRN = DRN
    package.drn = module
    sys.modules[package.__name__] = package
    sys.modules[module.__name__] = module


def load_from_local(filename: str,
                        map_location: Optional[Any] = None) -> Any:
    """Load a local checkpoint written by mmengine (mmengine logs the name).

    torch >= 2.6 defaults ``torch.load`` to ``weights_only=True``, which
    rejects the ``HistoryBuffer`` and numpy objects mmengine pickles into
    every checkpoint's ``message_hub``. Local files are the user's own.
    """
    filename = os.path.expanduser(filename)
    if not os.path.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return torch.load(filename, map_location=map_location, weights_only=False)


def _allow_full_local_checkpoints() -> None:
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True)


def _distributed_init_without_cuda() -> None:
    """Make mmengine's ``pytorch`` and ``slurm`` launchers work on CPU hosts.

    mmengine defaults to nccl, always calls ``torch.cuda.set_device`` and
    passes ``device_ids=[LOCAL_RANK]`` to DDP; all three fail without CUDA.
    On such hosts we use gloo, skip ``set_device`` and give DDP no devices.
    """
    import mmengine.dist.utils as dist_utils
    from mmengine.device import get_device
    from mmengine.dist import is_distributed
    from mmengine.registry import MODEL_WRAPPERS
    from mmengine.runner import Runner
    from torch.nn.parallel import DistributedDataParallel
    if getattr(dist_utils._init_dist_pytorch, '_mme_patched', False):
        return
    wrap_model = Runner.wrap_model

    def on_cpu(init_on_accelerator: Callable) -> Callable:

        @functools.wraps(init_on_accelerator)
        def init(backend: str, *args: Any, init_backend: str = 'torch',
                 **kwargs: Any) -> None:
            if get_device() != 'cpu' or init_backend != 'torch':
                return init_on_accelerator(
                    backend, *args, init_backend=init_backend, **kwargs)
            # The launchers' environment handling (ranks, master address)
            # stays mmengine's; only the device pinning is dropped.
            with unittest.mock.patch.object(torch.cuda, 'set_device',
                                            lambda device: None):
                init_on_accelerator(
                    'gloo' if backend == 'nccl' else backend, *args,
                    init_backend=init_backend, **kwargs)

        init._mme_patched = True
        return init

    def wrap_model_on_cpu(self: Runner, model_wrapper_cfg: Optional[dict],
                          model: torch.nn.Module) -> torch.nn.Module:
        if is_distributed() and get_device() == 'cpu':
            model_wrapper_cfg = dict(model_wrapper_cfg or dict(
                broadcast_buffers=False,
                find_unused_parameters=self.cfg.get('find_unused_parameters',
                                                    False)))
            model_wrapper_cfg.setdefault('type', 'MMDistributedDataParallel')
            wrapper = MODEL_WRAPPERS.get(model_wrapper_cfg['type'])
            if issubclass(wrapper, DistributedDataParallel):
                model_wrapper_cfg['device_ids'] = None
        return wrap_model(self, model_wrapper_cfg, model)

    dist_utils._init_dist_pytorch = on_cpu(dist_utils._init_dist_pytorch)
    dist_utils._init_dist_slurm = on_cpu(dist_utils._init_dist_slurm)
    Runner.wrap_model = wrap_model_on_cpu


def _fp32_recognition_loss() -> None:
    """Let MMAction2's heads compute their loss from bf16 scores.

    ``BaseHead.loss_by_feat`` calls ``.numpy()`` on the scores for its
    top-k accuracy, which fails for bfloat16 (CPU autocast, or bf16 AMP);
    the loss is also better computed in fp32.
    """
    from mmaction.models.heads.base import BaseHead
    loss_by_feat = BaseHead.loss_by_feat
    if hasattr(loss_by_feat, '__wrapped__'):
        return

    @functools.wraps(loss_by_feat)
    def loss_by_feat_fp32(self: BaseHead, cls_scores: torch.Tensor,
                          *args: Any, **kwargs: Any) -> dict:
        return loss_by_feat(self, cls_scores.float(), *args, **kwargs)

    BaseHead.loss_by_feat = loss_by_feat_fp32


def _quiet_mmcv_lite() -> None:
    """mmcv-lite has no compiled ops; ViTs never use the deformable one."""
    warnings.filterwarnings(
        'ignore', message='Fail to import ``MultiScaleDeformableAttention``')


def apply() -> None:
    """Apply every fix once; later calls do nothing."""
    global _applied
    if _applied:
        return
    _quiet_mmcv_lite()
    _stub_missing_drn()
    _allow_full_local_checkpoints()
    _distributed_init_without_cuda()
    _fp32_recognition_loss()
    _applied = True

"""Our Runner: distributed jobs on hosts without a GPU, safe checkpoints,
one run per work dir, the effective learning rate logged."""
import unittest.mock
from collections import OrderedDict
from typing import Dict, Optional, Union

import torch
from mmaction.registry import RUNNERS
from mmengine.device import get_device
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.registry import MODEL_WRAPPERS
from mmengine.runner import Runner
from mmengine.utils.dl_utils import collect_env
from torch.nn.parallel import DistributedDataParallel

from .checkpoint_safety import CheckpointSafetyMixin
from .work_dir_claim import WorkDirClaimMixin


@RUNNERS.register_module()
class AnyDeviceRunner(WorkDirClaimMixin, CheckpointSafetyMixin, Runner):
    """mmengine's ``Runner``, which on hosts without an accelerator also runs
    distributed jobs, as CPU processes talking over gloo.

    It also saves and loads checkpoints safely
    (:class:`~mme_mmaction.engine.checkpoint_safety.CheckpointSafetyMixin`),
    trains only in a work dir no other run uses
    (:class:`~mme_mmaction.engine.work_dir_claim.WorkDirClaimMixin`), and
    logs the learning rate it trains with and the batch it was set for,
    whether or not ``auto_scale_lr`` scales it.

    mmengine 0.10.7 fails there in three places: its launchers default to
    nccl, always call ``torch.cuda.set_device``, and give DDP
    ``device_ids=[LOCAL_RANK]``. Without an accelerator this runner asks for
    gloo instead of nccl, skips the device pinning (rank and address handling
    stay mmengine's, for the ``pytorch``, ``slurm`` and ``mpi`` launchers),
    gives DDP no device ids, and logs the backend and the number of CPU
    processes where mmengine would log ``GPU number``. With an accelerator it
    is mmengine's ``Runner``. Select it with ``runner_type =
    'AnyDeviceRunner'`` (every config here does).
    """

    @property
    def _on_cpu(self) -> bool:
        return get_device() == 'cpu'

    def setup_env(self, env_cfg: Dict) -> None:
        """mmengine's set-up; without an accelerator, gloo and no pinning."""
        if not (self.distributed and self._on_cpu):
            return super().setup_env(env_cfg)
        dist_cfg = dict(env_cfg.get('dist_cfg', {}))
        if dist_cfg.get('backend', 'nccl') == 'nccl':
            dist_cfg['backend'] = 'gloo'
        env_cfg = dict(env_cfg, dist_cfg=dist_cfg)
        # Only for the launcher's call, which pins a CUDA device whether or
        # not one exists.
        with unittest.mock.patch.object(torch.cuda, 'set_device',
                                        lambda device: None):
            super().setup_env(env_cfg)

    def wrap_model(self, model_wrapper_cfg: Optional[Dict],
                   model: torch.nn.Module) -> torch.nn.Module:
        """mmengine's wrapping; DDP on CPU processes gets no device ids."""
        if (self.distributed and self._on_cpu
                and not is_model_wrapper(model)):
            model_wrapper_cfg = dict(model_wrapper_cfg or dict(
                broadcast_buffers=False,
                find_unused_parameters=self.cfg.get('find_unused_parameters',
                                                    False)))
            model_wrapper_cfg.setdefault('type', 'MMDistributedDataParallel')
            wrapper = MODEL_WRAPPERS.get(model_wrapper_cfg['type'])
            if issubclass(wrapper, DistributedDataParallel):
                model_wrapper_cfg['device_ids'] = None
        return super().wrap_model(model_wrapper_cfg, model)

    def scale_lr(self,
                 optim_wrapper: Union[OptimWrapper, OptimWrapperDict],
                 auto_scale_lr: Optional[Dict] = None) -> None:
        """mmengine's ``scale_lr``, then log the learning rate in effect."""
        super().scale_lr(optim_wrapper, auto_scale_lr)
        wrappers = (optim_wrapper.values() if isinstance(
            optim_wrapper, OptimWrapperDict) else [optim_wrapper])
        top = max(group['lr'] for wrapper in wrappers
                  for group in wrapper.optimizer.param_groups)
        loader = self._train_dataloader
        batch = self.world_size * (loader.batch_size if hasattr(
            loader, 'batch_size') else loader['batch_size'])
        auto = auto_scale_lr or {}
        if auto.get('enable', False):
            how = (f'scaled by auto_scale_lr from base_batch_size '
                   f'{auto["base_batch_size"]}')
        elif 'base_batch_size' in auto:
            how = (f'as configured for batch {auto["base_batch_size"]}; '
                   'auto_scale_lr is off (--auto-scale-lr scales it)')
        else:
            how = 'as configured'
        self.logger.info(f'Learning rate {top:.4g} (the largest over '
                         f'parameter groups) for a total batch of {batch}, '
                         f'{how}.')

    def _log_env(self, env_cfg: dict) -> None:
        """Log the environment; on CPU name the backend and processes."""
        if not self._on_cpu:
            return super()._log_env(env_cfg)
        runtime_env = OrderedDict(env_cfg)
        if self.distributed:
            runtime_env['dist_cfg'] = dict(
                runtime_env.get('dist_cfg', {}),
                backend=torch.distributed.get_backend())
        runtime_env.update(self._randomness_cfg)
        runtime_env['seed'] = self._seed
        runtime_env['Distributed launcher'] = self._launcher
        runtime_env['Distributed training'] = self._distributed
        runtime_env['CPU processes'] = self._world_size
        lines = ['-' * 60, 'System environment:']
        lines += [f'    {k}: {v}' for k, v in collect_env().items()]
        lines += ['', 'Runtime environment:']
        lines += [f'    {k}: {v}' for k, v in runtime_env.items()]
        self.logger.info('\n' + '\n'.join(lines + ['-' * 60]) + '\n')
        if self.cfg._cfg_dict:
            self.logger.info(f'Config:\n{self.cfg.pretty_text}')

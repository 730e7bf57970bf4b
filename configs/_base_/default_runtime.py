# Runtime shared by every config: the mmaction scope, our plugin, hooks, env.
default_scope = 'mmaction'
custom_imports = dict(imports=['mme_mmaction'], allow_failed_imports=False)
# mmengine's Runner, which also runs distributed on CPU-only hosts (gloo).
runner_type = 'AnyDeviceRunner'

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, ignore_last=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # CheckpointHook that prunes old checkpoints only after the new one is
    # complete (a kill while saving keeps the last good one).
    checkpoint=dict(
        type='AtomicCheckpointHook', interval=20, max_keep_ckpts=3,
        save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    sync_buffers=dict(type='SyncBuffersHook'),
    visualization=dict(type='ClipVisualizationHook', enable=False))
# Stops on an inf/NaN loss before a poisoned checkpoint is saved; logs per
# epoch how many trajectories crossed a shot cut.
custom_hooks = [dict(type='FiniteLossHook'), dict(type='TrajectoryCheckHook')]

# Distributed backend: mmengine's default, nccl, where CUDA exists; gloo
# without it (AnyDeviceRunner). Set env_cfg.dist_cfg to choose another.
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0))

log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='ActionVisualizer', vis_backends=vis_backends)
log_level = 'INFO'
load_from = None
resume = False
# No `randomness`: `tools/train.py --seed N` (ours or MMAction2's) sets it.

# Something-Something V2 for pre-training without trajectories (VideoMAE,
# MotionMAE, MAM2): MME's sampling and crops, the sampled frames only,
# VideoMAE's tube mask at 0.9.
_base_ = ['./sthv2_mme_pretrain.py']
from mme_mmaction.datasets.pipeline_steps import (  # noqa: E402
    update_step, without_trajectories)

train_pipeline = update_step(
    without_trajectories(_base_.train_pipeline), 'TubeMaskGenerator',
    mask_ratio=0.9)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

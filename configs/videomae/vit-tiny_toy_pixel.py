# VideoMAE (normalised-pixel targets) on the generated toy dataset, beside
# the toy MME config: its encoder, data, sampling and schedule; VideoMAE's
# own decoder (384 wide, 4 blocks, 6 heads) and tube masking ratio 0.9.
_base_ = ['../mme/vit-tiny_toy.py']
from mme_mmaction.datasets.pipeline_steps import (  # noqa: E402
    update_step, without_trajectories)

model = dict(
    type='MaskedVideoPretrainer',
    neck=dict(embed_dims=384, depth=4, num_heads=6),
    target_generator=dict(_delete_=True, type='PixelTargetGenerator'),
    head=dict(_delete_=True, type='MaskedRegressionHead'),
    motion_generator=None,
    motion_head=None)

train_pipeline = update_step(
    without_trajectories(_base_.train_pipeline), 'TubeMaskGenerator',
    mask_ratio=0.9)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# MotionMAE on the generated toy dataset: the toy VideoMAE config (encoder,
# data, schedule, pixel decoder) plus the frame-difference target with its
# own decoder, and MotionMAE's per-slice random masking at 0.9.
_base_ = ['../videomae/vit-tiny_toy_pixel.py']
from mme_mmaction.datasets.pipeline_steps import replace_step  # noqa: E402

model = dict(
    type='MotionMAE',
    motion_generator=dict(_delete_=True, type='FrameDifferenceTarget',
                          gap=1),
    motion_neck=dict(
        type='MMEDecoder', embed_dims=384, depth=4, num_heads=6),
    motion_head=dict(_delete_=True, type='MaskedRegressionHead',
                     loss_name='diff'))

train_pipeline = replace_step(
    _base_.train_pipeline, 'TubeMaskGenerator',
    dict(type='SliceRandomMaskGenerator', mask_ratio=0.9))
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

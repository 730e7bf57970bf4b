# MGMAE-style pre-training on the generated toy dataset: the toy VideoMAE
# config with its tube mask warped along the clip's motion (docs/masking.md).
_base_ = ['../videomae/vit-tiny_toy_pixel.py']
from mme_mmaction.datasets.pipeline_steps import \
    with_motion_guided_mask  # noqa: E402

train_pipeline = with_motion_guided_mask(_base_.train_pipeline, mode='warp')
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

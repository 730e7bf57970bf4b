# The toy MME config (configs/mme/vit-tiny_toy.py) with a motion-guided mask
# in warp mode, from the trajectories MME already tracks (docs/masking.md).
_base_ = ['./vit-tiny_toy.py']
from mme_mmaction.datasets.pipeline_steps import \
    with_motion_guided_mask  # noqa: E402

train_pipeline = with_motion_guided_mask(_base_.train_pipeline, mode='warp')
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# MGMAE-style ViT-B/16 pre-training on Kinetics-400: VideoMAE's recipe
# (configs/videomae/vitb_k400_pixel.py) with its tube mask warped along the
# clip's motion (docs/masking.md).
# Usage: tools/dist_train.sh configs/mgmae/vitb_k400_mgmae.py 16
_base_ = ['../videomae/vitb_k400_pixel.py']
from mme_mmaction.datasets.pipeline_steps import \
    with_motion_guided_mask  # noqa: E402

train_pipeline = with_motion_guided_mask(_base_.train_pipeline, mode='warp')
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

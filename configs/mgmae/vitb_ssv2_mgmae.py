# MGMAE-style ViT-B/16 pre-training on Something-Something V2: VideoMAE's
# recipe (configs/videomae/vitb_ssv2_pixel.py) with its tube mask warped
# along the clip's motion (docs/masking.md).
# Usage: tools/dist_train.sh configs/mgmae/vitb_ssv2_mgmae.py 8
_base_ = ['../videomae/vitb_ssv2_pixel.py']
from mme_mmaction.datasets.pipeline_steps import \
    with_motion_guided_mask  # noqa: E402

train_pipeline = with_motion_guided_mask(_base_.train_pipeline, mode='warp')
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

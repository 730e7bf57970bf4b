# MME ViT-B/16 on Something-Something V2 (configs/mme/vitb_ssv2.py) with a
# motion-guided mask, motion mode, from the trajectories MME already tracks
# (docs/masking.md).
# Usage: tools/dist_train.sh configs/mme/vitb_ssv2_motion-mask.py 8
_base_ = ['./vitb_ssv2.py']
from mme_mmaction.datasets.pipeline_steps import \
    with_motion_guided_mask  # noqa: E402

train_pipeline = with_motion_guided_mask(_base_.train_pipeline, mode='motion')
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# MotionMAE ViT-B/16 pre-training on Kinetics-400 with MME's recipe
# (docs/siblings.md §4.1), 1600 epochs.
# Usage: tools/dist_train.sh configs/motionmae/vitb_k400_motionmae.py 16
_base_ = [
    '../_base_/models/motionmae_vit-base.py',
    '../_base_/datasets/kinetics400_pretrain.py',
    '../_base_/schedules/mme_pretrain_adamw_1600e.py',
    '../_base_/default_runtime.py',
]
from mme_mmaction.datasets.pipeline_steps import replace_step  # noqa: E402

# Every 2-frame slice masked at random, 0.9 (docs/siblings.md §1.2).
train_pipeline = replace_step(
    _base_.train_pipeline, 'TubeMaskGenerator',
    dict(type='SliceRandomMaskGenerator', mask_ratio=0.9))
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

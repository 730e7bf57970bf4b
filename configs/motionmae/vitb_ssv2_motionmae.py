# MotionMAE ViT-B/16 pre-training on Something-Something V2 with MME's
# recipe (docs/siblings.md §4.1), 400 epochs, stride 2.
# Usage: tools/dist_train.sh configs/motionmae/vitb_ssv2_motionmae.py 8
_base_ = [
    '../_base_/models/motionmae_vit-base.py',
    '../_base_/datasets/sthv2_pretrain.py',
    '../_base_/schedules/mme_pretrain_adamw.py',
    '../_base_/default_runtime.py',
]
from mme_mmaction.datasets.pipeline_steps import replace_step  # noqa: E402

# Every 2-frame slice masked at random, 0.9 (docs/siblings.md §1.2).
train_pipeline = replace_step(
    _base_.train_pipeline, 'TubeMaskGenerator',
    dict(type='SliceRandomMaskGenerator', mask_ratio=0.9))
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

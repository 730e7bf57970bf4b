# Something-Something V2 for pre-training without trajectories (VideoMAE,
# MotionMAE, MAM2): MME's sampling and crops, the sampled frames only,
# VideoMAE's tube mask at 0.9.
_base_ = ['./sthv2_mme_pretrain.py']

train_pipeline = [
    *_base_.train_pipeline[:2],
    dict(type='CheckedDecordDecode'),
    *_base_.train_pipeline[3:6],
    dict(type='TubeMaskGenerator', mask_ratio=0.9),
    _base_.train_pipeline[8],
    dict(_base_.train_pipeline[9], algorithm_keys=('mask', )),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

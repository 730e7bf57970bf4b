# The embedded default: MME pre-training of a small ViT on the generated toy
# dataset (tools/data/make_toy_dataset.py data/toy), on CPU in minutes.
# 8 frames with stride 4 from 96 x 128 videos, cropped and resized to
# 64 x 64: 4 x 4 x 4 = 64 tokens, trajectories of L = 4 steps.
_base_ = [
    '../_base_/models/mme_vit-base.py',
    '../_base_/schedules/mme_pretrain_adamw.py',
    '../_base_/default_runtime.py',
]

data_root = 'data/toy'
model = dict(
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=192, depth=4, num_heads=3),
        img_size=64,
        num_frames=8),
    neck=dict(embed_dims=128, num_heads=4),
    head=dict(hidden_channels=256),
    # Raw displacements, not PatchStd: on the toy PatchStd's target holds
    # no learnable motion and raw ties with the other options (decision
    # table in docs/pretraining.md). ViT-B configs keep PatchStd.
    motion_generator=dict(norm='none'),
    motion_head=dict(hidden_channels=256, act_cfg=None))

train_pipeline = [
    dict(type='CheckedDecordInit'),
    dict(type='SampleFrames', clip_len=8, frame_interval=4, num_clips=1),
    dict(type='DecordDecodeWithTrajectoryFrames'),
    dict(
        type='MultiScaleCrop',
        input_size=96,
        scales=(1, 0.875, 0.75, 0.66),
        random_crop=False,
        max_wh_scale_gap=1),
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
    dict(type='TrajectoryTarget'),
    dict(type='TubeMaskGenerator', mask_ratio=0.7),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackPretrainInputs'),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=1,
    # Workers restart from the same seeds every epoch, so a run resumed
    # from a checkpoint draws the same crops and masks as an uninterrupted
    # one (docs/faq.md).
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='CheckedVideoDataset',
        ann_file=f'{data_root}/train_list.txt',
        data_prefix=dict(video=data_root),
        pipeline=train_pipeline))

# A short run needs a fixed, larger learning rate than batch scaling gives;
# it is for this batch of 16 in one process.
max_epochs = 30
optim_wrapper = dict(optimizer=dict(lr=3e-4))
auto_scale_lr = dict(enable=False, base_batch_size=16)
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.01,
        by_epoch=True,
        begin=0,
        end=2,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - 2,
        eta_min_ratio=0.05,
        by_epoch=True,
        begin=2,
        end=max_epochs,
        convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(
    logger=dict(interval=3),
    checkpoint=dict(interval=10, max_keep_ckpts=1))
log_processor = dict(window_size=3)

# Fine-tune an MME pre-trained ViT-B/16 on Something-Something V2
# (docs/method.md §7; the paper reports 69.2 top-1): 30 epochs, base lr 5e-4
# per 256 videos (1.25e-4 for 8 GPUs x 8; with another batch add
# --auto-scale-lr), no flip (left/right are labels in SSv2), test with 2
# clips x 3 crops.
#
# Frames: as VideoMAE fine-tunes on SSv2, 16 frames from 16 equal segments
# of the video (segment-based sampling; MMAction2's UniformSample, "u16";
# a random frame per segment in training, the segment centres, with 2
# temporal offsets, in testing). SSv2 clips are ~45 frames long, so this is
# about a stride of 2-3 frames, the stride-2 view the encoder was
# pre-trained on.
#
#   tools/dist_train.sh configs/recognition/vit-base-p16_mme-pre_u16_sthv2.py 8
#   tools/dist_test.sh configs/recognition/vit-base-p16_mme-pre_u16_sthv2.py \
#       work_dirs/vit-base-p16_mme-pre_u16_sthv2/best_acc_top1_epoch_*.pth 8
#
# The pre-trained encoder is `pretrained` below; another checkpoint:
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
# From scratch: --cfg-options model.backbone.init_cfg=None
#
# Data: MMAction2's standard layout (tools/data/sthv2 in MMAction2).
_base_ = [
    '../_base_/models/vit-base_recognizer.py',
    '../_base_/schedules/finetune_adamw_layer-decay.py',
    '../_base_/default_runtime.py',
]

pretrained = 'work_dirs/vitb_ssv2/epoch_400.pth'
num_classes = 174
model = dict(
    backbone=dict(init_cfg=dict(checkpoint=pretrained)),
    cls_head=dict(num_classes=num_classes),
    data_preprocessor=dict(
        blending=dict(augments=[
            dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
            dict(type='CutmixBlending', alpha=1, num_classes=num_classes)
        ])))

dataset_type = 'CheckedVideoDataset'
data_root = 'data/sthv2/videos'
data_root_val = 'data/sthv2/videos'
ann_file_train = 'data/sthv2/sthv2_train_list_videos.txt'
ann_file_val = 'data/sthv2/sthv2_val_list_videos.txt'
ann_file_test = 'data/sthv2/sthv2_val_list_videos.txt'

# RandAugment m7 n4 (torchvision's, the same ops and magnitudes for all
# frames; 11 magnitude bins make m7 = 0.7 of each op's range, as timm's
# 'rand-m7-n4'; interpolation 2 = bilinear), random-resized crop of area
# [0.25, 1], random erasing 0.25; no flip.
train_pipeline = [
    dict(type='CheckedDecordInit'),
    dict(type='UniformSample', clip_len=16, num_clips=1),
    dict(type='CheckedDecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(
        type='TorchVisionWrapper',
        op='RandAugment',
        magnitude=7,
        num_ops=4,
        num_magnitude_bins=11,
        interpolation=2),
    dict(type='RandomResizedCrop', area_range=(0.25, 1.0)),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='RandomErasing', erase_prob=0.25, mode='rand'),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='CheckedDecordInit'),
    dict(type='UniformSample', clip_len=16, num_clips=1, test_mode=True),
    dict(type='CheckedDecordDecode'),
    dict(type='Resize', scale=(-1, 224)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='CheckedDecordInit'),
    dict(type='UniformSample', clip_len=16, num_clips=2, test_mode=True),
    dict(type='CheckedDecordDecode'),
    dict(type='Resize', scale=(-1, 224)),
    dict(type='ThreeCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]

# Repeated augmentation x2: see the K400 config.
train_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='repeat_pseudo_collate'),
    dataset=dict(
        type='CheckedRepeatAugDataset',
        num_repeats=2,
        sample_once=True,
        ann_file=ann_file_train,
        num_classes=num_classes,
        data_prefix=dict(video=data_root),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_val,
        num_classes=num_classes,
        data_prefix=dict(video=data_root_val),
        pipeline=val_pipeline,
        test_mode=True))
test_dataloader = dict(
    batch_size=1,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file_test,
        num_classes=num_classes,
        data_prefix=dict(video=data_root_val),
        pipeline=test_pipeline,
        test_mode=True))

# Schedule (the base's variables, restated where they are used).
base_lr = 5e-4 * 64 / 256
min_lr = 1e-6 * 64 / 256
max_epochs = 30
warmup_epochs = 5
optim_wrapper = dict(optimizer=dict(lr=base_lr))
# The base's two entries with this recipe's numbers.
param_scheduler = [
    dict(
        _base_.param_scheduler[0],
        start_factor=min_lr / base_lr,
        end=warmup_epochs),
    dict(
        _base_.param_scheduler[1],
        T_max=max_epochs - warmup_epochs,
        eta_min_ratio=min_lr / base_lr,
        begin=warmup_epochs,
        end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs)

default_hooks = dict(
    checkpoint=dict(
        interval=5, max_keep_ckpts=3, save_best='acc/top1', rule='greater'),
    logger=dict(interval=50))

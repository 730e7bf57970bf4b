# Fine-tune an MME pre-trained ViT-B/16 on Kinetics-400 (docs/method.md §7): 75
# epochs, base lr 1e-3 per 256 videos (2.5e-4 for the 8 x 8 below; with
# another batch add --auto-scale-lr), 16 frames with stride 4, flip, test
# with 7 clips x 3 crops.
#
#   tools/dist_train.sh \
#       configs/recognition/vit-base-p16_mme-pre_16x4x1_kinetics400.py 8
#   tools/dist_test.sh \
#       configs/recognition/vit-base-p16_mme-pre_16x4x1_kinetics400.py \
#       WORK_DIR/best_acc_top1_epoch_N.pth 8
#
# The pre-trained encoder is `pretrained` below; another checkpoint:
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
# (any checkpoint whose encoder keys are `backbone.*`: our MME, VideoMAE,
# MotionMAE or MAM2 pre-training). Without pre-training (from scratch):
#   --cfg-options model.backbone.init_cfg=None
#
# Data: MMAction2's standard layout (tools/data/kinetics in MMAction2).
_base_ = [
    '../_base_/models/vit-base_recognizer.py',
    '../_base_/schedules/finetune_adamw_layer-decay.py',
    '../_base_/default_runtime.py',
]

pretrained = 'work_dirs/vitb_k400/epoch_1600.pth'
num_classes = 400
model = dict(
    backbone=dict(init_cfg=dict(checkpoint=pretrained)),
    cls_head=dict(num_classes=num_classes),
    data_preprocessor=dict(
        blending=dict(augments=[
            dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
            dict(type='CutmixBlending', alpha=1, num_classes=num_classes)
        ])))

dataset_type = 'CheckedVideoDataset'
data_root = 'data/kinetics400/videos_train'
data_root_val = 'data/kinetics400/videos_val'
ann_file_train = 'data/kinetics400/kinetics400_train_list_videos.txt'
ann_file_val = 'data/kinetics400/kinetics400_val_list_videos.txt'
ann_file_test = 'data/kinetics400/kinetics400_val_list_videos.txt'

# RandAugment m7 n4 (torchvision's, the same ops and magnitudes for all
# frames of a clip; 11 magnitude bins make m7 = 0.7 of each op's range, as
# timm's 'rand-m7-n4' that VideoMAE uses; interpolation 2 = bilinear), then
# random-resized crop of area [0.25, 1], flip, random erasing 0.25 (the same
# rectangle in all frames, random pixels).
train_pipeline = [
    dict(type='CheckedDecordInit'),
    dict(type='SampleFrames', clip_len=16, frame_interval=4, num_clips=1),
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
    dict(type='Flip', flip_ratio=0.5),
    dict(type='RandomErasing', erase_prob=0.25, mode='rand'),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='CheckedDecordInit'),
    dict(
        type='SampleFrames',
        clip_len=16,
        frame_interval=4,
        num_clips=1,
        test_mode=True),
    dict(type='CheckedDecordDecode'),
    dict(type='Resize', scale=(-1, 224)),
    dict(type='CenterCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='CheckedDecordInit'),
    dict(
        type='SampleFrames',
        clip_len=16,
        frame_interval=4,
        num_clips=7,
        test_mode=True),
    dict(type='CheckedDecordDecode'),
    dict(type='Resize', scale=(-1, 224)),
    dict(type='ThreeCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]

# Repeated augmentation x2 (VideoMAE's num_sample=2): each video is decoded
# once and augmented twice; repeat_pseudo_collate flattens the pairs, so a
# batch of 8 videos is 16 clips. The sampler is the ordinary one (the
# repeats are in the dataset, not in the sampler). CheckedRepeatAugDataset
# (MMAction2's RepeatAugDataset with errors that name the video) needs
# CheckedDecordInit, a sampler and CheckedDecordDecode as the first three
# transforms; its samples cannot be skipped (on_bad_input='skip').
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

# The K400 numbers of docs/method.md §7 are the schedule's defaults (base lr
# 1e-3, 75 epochs, 5 warm-up epochs, min lr 1e-6).
default_hooks = dict(
    checkpoint=dict(
        interval=5, max_keep_ckpts=3, save_best='acc/top1', rule='greater'),
    logger=dict(interval=50))

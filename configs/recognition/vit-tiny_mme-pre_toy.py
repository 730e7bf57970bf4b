# Fine-tune the toy MME pre-training (configs/mme/vit-tiny_toy.py, which
# saves work_dirs/vit-tiny_toy/epoch_30.pth) on the toy dataset's 9 motion
# classes, on CPU in minutes. Compare pre-trained with random init:
#
#   python tools/train.py configs/recognition/vit-tiny_mme-pre_toy.py
#   python tools/train.py configs/recognition/vit-tiny_mme-pre_toy.py \
#       --cfg-options model.backbone.init_cfg=None \
#       --work-dir work_dirs/vit-tiny_mme-pre_toy_scratch
#
# (another checkpoint: --cfg-options model.backbone.init_cfg.checkpoint=PATH)
#
# The toy pre-training's encoder: ViT with 192 dims, 4 blocks, 3 heads, on 8
# frames (stride 4) of 64 x 64. The fine-tuning recipe of docs/method.md §7
# where it makes sense at this size: AdamW, layer-wise lr decay 0.75, drop_path
# 0.1, label smoothing 0.1, warm-up then cosine, bf16 autocast on CPU. Left
# out: mixup/cutmix, RandAugment, random erasing and repeated augmentation (too
# strong for 72 tiny videos), and flips, which would turn move_left into
# move_right and rotate_cw into rotate_ccw. Crops as in the pre-training. A
# fixed lr (no batch scaling), 50 epochs (~2-3 min on 2 cores), validation
# every epoch (18 videos: +-1 video is +-5.6 top-1).
_base_ = [
    '../_base_/models/vit-base_recognizer.py',
    '../_base_/schedules/finetune_adamw_layer-decay.py',
    '../_base_/default_runtime.py',
]

pretrained = 'work_dirs/vit-tiny_toy/epoch_30.pth'
data_root = 'data/toy'
num_classes = 9
model = dict(
    backbone=dict(
        img_size=64,
        embed_dims=192,
        depth=4,
        num_heads=3,
        num_frames=8,
        init_cfg=dict(checkpoint=pretrained)),
    cls_head=dict(num_classes=num_classes, in_channels=192),
    data_preprocessor=dict(blending=None))

train_pipeline = [
    dict(type='CheckedDecordInit'),
    dict(type='SampleFrames', clip_len=8, frame_interval=4, num_clips=1),
    dict(type='CheckedDecordDecode'),
    dict(
        type='MultiScaleCrop',
        input_size=96,
        scales=(1, 0.875, 0.75, 0.66),
        random_crop=False,
        max_wh_scale_gap=1),
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
val_pipeline = [
    dict(type='CheckedDecordInit'),
    dict(
        type='SampleFrames',
        clip_len=8,
        frame_interval=4,
        num_clips=1,
        test_mode=True),
    dict(type='CheckedDecordDecode'),
    dict(type='Resize', scale=(-1, 64)),
    dict(type='CenterCrop', crop_size=64),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_pipeline = [
    dict(type='CheckedDecordInit'),
    dict(
        type='SampleFrames',
        clip_len=8,
        frame_interval=4,
        num_clips=2,
        test_mode=True),
    dict(type='CheckedDecordDecode'),
    dict(type='Resize', scale=(-1, 64)),
    dict(type='ThreeCrop', crop_size=64),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='CheckedVideoDataset',
        ann_file=f'{data_root}/train_list.txt',
        num_classes=num_classes,
        data_prefix=dict(video=data_root),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='CheckedVideoDataset',
        ann_file=f'{data_root}/val_list.txt',
        num_classes=num_classes,
        data_prefix=dict(video=data_root),
        pipeline=val_pipeline,
        test_mode=True))
test_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='CheckedVideoDataset',
        ann_file=f'{data_root}/val_list.txt',
        num_classes=num_classes,
        data_prefix=dict(video=data_root),
        pipeline=test_pipeline,
        test_mode=True))

base_lr = 1e-3
min_lr = 1e-5
max_epochs = 50
warmup_epochs = 2
optim_wrapper = dict(optimizer=dict(lr=base_lr))
# The base's two entries with this recipe's numbers.
param_scheduler = [
    dict(
        _base_.param_scheduler[0],
        start_factor=0.01,
        end=warmup_epochs),
    dict(
        _base_.param_scheduler[1],
        T_max=max_epochs - warmup_epochs,
        eta_min_ratio=min_lr / base_lr,
        begin=warmup_epochs,
        end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
# The lr is for this batch of 8 in one process.
auto_scale_lr = dict(enable=False, base_batch_size=8)

default_hooks = dict(
    logger=dict(interval=3),
    checkpoint=dict(
        interval=10, max_keep_ckpts=1, save_best='acc/top1', rule='greater'))
log_processor = dict(window_size=3)

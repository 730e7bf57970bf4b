# Linear probe of an MME pre-trained ViT-B/16 on Kinetics-400: the encoder
# is frozen, only the linear classifier on its mean-pooled (and normalised)
# features is trained. The paper specifies no probe (docs/method.md §7);
# our choices, stated:
#
# - Frozen encoder, in the config only: MMAction2's VisionTransformer has no
#   `frozen_stages`, so the optimizer gives every `backbone.*` parameter
#   lr 0 and weight decay 0 (paramwise custom_keys lr_mult=0, decay_mult=0).
#   AdamW then leaves them exactly unchanged (both its update and its
#   decoupled decay are multiplied by the lr), and the lr schedule keeps
#   them at 0 (it scales each group's own lr; do not use an absolute
#   eta_min). Their gradients are still computed: a probe step costs about
#   a fine-tuning step. `fc_norm` (the LayerNorm after mean pooling, not in
#   the checkpoint) stays at its identity affine init, i.e. it only
#   normalises the features, like MAE's affine-free BatchNorm before its
#   probe. drop_path is off, so the features are deterministic.
# - AdamW, lr 1e-3 x batch / 256 (here 8 GPUs x 16 = 128; add
#   --auto-scale-lr for another batch), no weight decay, 30 epochs (5
#   warm-up, cosine to 1e-6 x batch / 256).
# - Augmentation: random-resized crop (area [0.25, 1]) and flip only; no
#   RandAugment, random erasing, mixup/cutmix, label smoothing or repeated
#   augmentation. Validation and testing as in fine-tuning (7 x 3 views).
#
#   CONFIG=configs/recognition/vit-base-p16_mme-pre_linear-probe_16x4x1_kinetics400.py  # noqa: E501
#   tools/dist_train.sh $CONFIG 8
#
# Another pre-trained encoder:
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = ['./vit-base-p16_mme-pre_16x4x1_kinetics400.py']

pretrained = 'work_dirs/vitb_k400/epoch_1600.pth'
model = dict(
    backbone=dict(
        drop_path_rate=0., init_cfg=dict(checkpoint=pretrained)),
    cls_head=dict(label_smooth_eps=0.),
    data_preprocessor=dict(blending=None))

train_pipeline = [
    dict(type='CheckedDecordInit'),
    dict(type='SampleFrames', clip_len=16, frame_interval=4, num_clips=1),
    dict(type='CheckedDecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(type='RandomResizedCrop', area_range=(0.25, 1.0)),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='Flip', flip_ratio=0.5),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
train_dataloader = dict(
    _delete_=True,
    batch_size=16,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='CheckedVideoDataset',
        ann_file='data/kinetics400/kinetics400_train_list_videos.txt',
        num_classes=_base_.num_classes,
        data_prefix=dict(video='data/kinetics400/videos_train'),
        pipeline=train_pipeline))

auto_scale_lr = dict(base_batch_size=128)
base_lr = 1e-3 * 128 / 256
min_lr = 1e-6 * 128 / 256
max_epochs = 30
warmup_epochs = 5
optim_wrapper = dict(
    _delete_=True,
    type='MixedPrecisionOptimWrapper',
    optimizer=dict(
        type='AdamW', lr=base_lr, betas=(0.9, 0.999), weight_decay=0.),
    paramwise_cfg=dict(
        custom_keys={'backbone': dict(lr_mult=0., decay_mult=0.)}))
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

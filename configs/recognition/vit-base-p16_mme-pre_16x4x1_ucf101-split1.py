# Fine-tune an MME pre-trained ViT-B/16 on UCF101, split 1 (docs/method.md §7):
# 100 epochs, base lr 1e-3 per 256 videos (2.5e-4 for 8 GPUs x 8; with
# another batch add --auto-scale-lr), 16 frames with stride 4, flip, test
# with 10 clips x 3 crops. Everything else
# (augmentation, repeated augmentation, optimizer) is the K400 config's.
#
#   tools/dist_train.sh \
#       configs/recognition/vit-base-p16_mme-pre_16x4x1_ucf101-split1.py 8
#
# The pre-trained encoder (by default the K400 pre-training) is `pretrained`
# below; another checkpoint:
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
# From scratch: --cfg-options model.backbone.init_cfg=None
#
# Data: MMAction2's standard layout (tools/data/ucf101 in MMAction2):
# data/ucf101/videos and data/ucf101/ucf101_{train,val}_split_1_videos.txt.
_base_ = ['./vit-base-p16_mme-pre_16x4x1_kinetics400.py']

pretrained = 'work_dirs/vitb_k400/epoch_1600.pth'
num_classes = 101
model = dict(
    backbone=dict(init_cfg=dict(checkpoint=pretrained)),
    cls_head=dict(num_classes=num_classes),
    data_preprocessor=dict(
        blending=dict(augments=[
            dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
            dict(type='CutmixBlending', alpha=1, num_classes=num_classes)
        ])))

split = 1
data_root = 'data/ucf101/videos'
ann_file_train = f'data/ucf101/ucf101_train_split_{split}_videos.txt'
ann_file_val = f'data/ucf101/ucf101_val_split_{split}_videos.txt'
ann_file_test = ann_file_val

test_pipeline = [
    dict(type='CheckedDecordInit'),
    dict(
        type='SampleFrames',
        clip_len=16,
        frame_interval=4,
        num_clips=10,
        test_mode=True),
    dict(type='CheckedDecordDecode'),
    dict(type='Resize', scale=(-1, 224)),
    dict(type='ThreeCrop', crop_size=224),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]

train_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_train,
        num_classes=num_classes,
        data_prefix=dict(video=data_root)))
val_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_val,
        num_classes=num_classes,
        data_prefix=dict(video=data_root)))
test_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_test,
        num_classes=num_classes,
        data_prefix=dict(video=data_root),
        pipeline=test_pipeline))

# Schedule (the base's variables, restated where they are used).
base_lr = 1e-3 * 64 / 256
min_lr = 1e-6 * 64 / 256
max_epochs = 100
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

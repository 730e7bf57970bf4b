# Fine-tune an MME pre-trained ViT-B/16 on HMDB51, split 1 (docs/method.md §7):
# the UCF101 recipe (100 epochs, base lr 1e-3, flip, 10 clips x 3 crops) on
# HMDB51's 51 classes.
#
#   tools/dist_train.sh \
#       configs/recognition/vit-base-p16_mme-pre_16x4x1_hmdb51-split1.py 8
#
# Another pre-trained encoder:
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
# From scratch: --cfg-options model.backbone.init_cfg=None
#
# Data: MMAction2's standard layout (tools/data/hmdb51 in MMAction2):
# data/hmdb51/videos and data/hmdb51/hmdb51_{train,val}_split_1_videos.txt.
_base_ = ['./vit-base-p16_mme-pre_16x4x1_ucf101-split1.py']

num_classes = 51
model = dict(
    cls_head=dict(num_classes=num_classes),
    data_preprocessor=dict(
        blending=dict(augments=[
            dict(type='MixupBlending', alpha=0.8, num_classes=num_classes),
            dict(type='CutmixBlending', alpha=1, num_classes=num_classes)
        ])))

split = 1
data_root = 'data/hmdb51/videos'
ann_file_train = f'data/hmdb51/hmdb51_train_split_{split}_videos.txt'
ann_file_val = f'data/hmdb51/hmdb51_val_split_{split}_videos.txt'
ann_file_test = ann_file_val

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
        data_prefix=dict(video=data_root)))

# Linear probe of the toy MME pre-training (work_dirs/vit-tiny_toy/
# epoch_30.pth) on the toy dataset, on CPU in minutes: the encoder frozen as
# in the ViT-B linear-probe config (every `backbone.*` parameter gets lr 0
# and weight decay 0; drop_path off; `fc_norm` stays an affine-free
# normaliser), only the linear classifier trained. Compare with a random,
# frozen encoder:
#
#   python tools/train.py \
#       configs/recognition/vit-tiny_mme-pre_linear-probe_toy.py
#   python tools/train.py \
#       configs/recognition/vit-tiny_mme-pre_linear-probe_toy.py \
#       --cfg-options model.backbone.init_cfg=None \
#       --work-dir work_dirs/vit-tiny_mme-pre_linear-probe_toy_scratch
#
# AdamW, lr 1e-2 (fixed, a linear layer on normalised features), no weight
# decay, no label smoothing; data and crops as the toy fine-tuning.
_base_ = ['./vit-tiny_mme-pre_toy.py']

model = dict(
    backbone=dict(drop_path_rate=0.), cls_head=dict(label_smooth_eps=0.))

base_lr = 1e-2
min_lr = 1e-4
max_epochs = 50
warmup_epochs = 2
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
        start_factor=0.01,
        end=warmup_epochs),
    dict(
        _base_.param_scheduler[1],
        T_max=max_epochs - warmup_epochs,
        eta_min_ratio=min_lr / base_lr,
        begin=warmup_epochs,
        end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs)

# The toy pre-training of the transfer experiment of configs/mme/README.md:
# vit-tiny_toy.py on 1,800 unlabelled toy videos of 64 x 64 with a static
# camera (tools/data/make_toy_dataset.py data/toy_pre --videos-per-class 200
# --val-per-class 0 --seed 2 --height 64 --width 64 --max-pan 0), 55 epochs
# (6,215 iterations of 16 clips, about 40 min on 2 CPU cores).
#
# Why this variant of the toy data: objects of 28-52 px fill much of a 64 px
# frame, so a masked tube usually holds part of a moving object whose motion
# the visible tokens show; in the 96 x 128 default with a panning camera the
# small objects rarely reach the masked tubes and the motion term stays on
# the predict-zero line (configs/mme/README.md).
_base_ = ['./vit-tiny_toy.py']

data_root = 'data/toy_pre'
train_dataloader = dict(
    dataset=dict(
        ann_file=f'{data_root}/train_list.txt',
        data_prefix=dict(video=data_root)))

max_epochs = 55
# The base's warm-up, then its cosine stretched to the longer run.
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], T_max=max_epochs - 2, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(
    logger=dict(interval=50), checkpoint=dict(interval=5, max_keep_ckpts=1))

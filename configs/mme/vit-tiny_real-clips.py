# MME's toy model on real videos, through the K400 ViT-B pipeline's
# geometry scaled to a ViT-tiny (8 frames at stride 4, traj_len 4, short
# side 256 -> 73 and crop 224 -> 64, Lucas-Kanade trajectories). Training
# clips come from the first 70% of each video, evaluation clips
# (heldout_dataloader) from the last 30%, so no frame is in both. For measuring
# which trajectory target carries learnable motion on real video
# (docs/pretraining.md):
#
#   python tools/analysis/target_options.py \
#       configs/mme/vit-tiny_real-clips.py \
#       --videos VIDEO.mp4 ... --variant NAME KEY=VALUE ...
_base_ = ['./vit-tiny_toy.py']
from mme_mmaction.datasets.pipeline_steps import (  # noqa: E402
    insert_before, update_step)

data_root = 'data/real'
train_pipeline = insert_before(
    _base_.train_pipeline, 'SampleFrames',
    dict(type='TimeRange', start=0., end=0.7))
train_pipeline = insert_before(train_pipeline, 'MultiScaleCrop',
                               dict(type='Resize', scale=(-1, 73)))
train_pipeline = update_step(train_pipeline, 'MultiScaleCrop', input_size=73)
train_pipeline = update_step(train_pipeline, 'TrajectoryTarget',
                             source=dict(type='lucas_kanade'))
heldout_pipeline = update_step(
    train_pipeline, 'TimeRange', start=0.7, end=1.)
dataset = dict(
    type='CheckedVideoDataset',
    ann_file=f'{data_root}/videos.txt',
    data_prefix=dict(video=data_root))
train_dataloader = dict(dataset=dict(dataset, pipeline=train_pipeline))
# Not a Runner key: read by the analysis tools (held-out clips).
heldout_dataloader = dict(dataset=dict(dataset, pipeline=heldout_pipeline))

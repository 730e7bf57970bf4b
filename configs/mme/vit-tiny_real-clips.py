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
from mme_mmaction.datasets.pipeline_steps import update_step  # noqa: E402

data_root = 'data/real'


train_pipeline = [
    dict(type='CheckedDecordInit'),
    dict(type='TimeRange', start=0., end=0.7),
    dict(type='SampleFrames', clip_len=8, frame_interval=4, num_clips=1),
    dict(type='DecordDecodeWithTrajectoryFrames'),
    dict(type='Resize', scale=(-1, 73)),
    dict(
        type='MultiScaleCrop',
        input_size=73,
        scales=(1, 0.875, 0.75, 0.66),
        random_crop=False,
        max_wh_scale_gap=1),
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
    dict(type='TrajectoryTarget', source=dict(type='lucas_kanade')),
    dict(type='TubeMaskGenerator', mask_ratio=0.7),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackPretrainInputs'),
]
heldout_pipeline = update_step(
    train_pipeline, 'TimeRange', start=0.7, end=1.)
dataset = dict(
    type='CheckedVideoDataset',
    ann_file=f'{data_root}/videos.txt',
    data_prefix=dict(video=data_root))
train_dataloader = dict(dataset=dict(dataset, pipeline=train_pipeline))
# Not a Runner key: read by the analysis tools (held-out clips).
heldout_dataloader = dict(dataset=dict(dataset, pipeline=heldout_pipeline))

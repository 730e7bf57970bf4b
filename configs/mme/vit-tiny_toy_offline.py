# `make toy`'s config: vit-tiny_toy.py with its trajectories extracted once
# before training instead of computed by online flow for every clip (flow
# is most of a toy clip's cost), and five passes over the 72 videos per
# epoch (the data worker restarts every epoch, which would otherwise cost
# about as much as the epoch's 5 steps).
# Extract first (seconds for the toy; `make toy` does it):
#   python tools/data/extract_trajectories.py data/toy/train_list.txt \
#       data/toy/trajectories
_base_ = ['./vit-tiny_toy.py']

data_root = 'data/toy'
traj_root = f'{data_root}/trajectories'
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
    dict(
        type='TrajectoryTarget',
        traj_len=4,
        source=dict(type='stored', root=traj_root, video_root=data_root)),
    dict(type='TubeMaskGenerator', mask_ratio=0.7),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(
        type='PackActionInputs',
        algorithm_keys=('mask', 'trajectories', 'traj_valid'),
        meta_keys=('img_shape', 'filename'))
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='RepeatDataset',
        times=5,
        dataset=dict(
            type='VideoDataset',
            ann_file=f'{data_root}/train_list.txt',
            data_prefix=dict(video=data_root),
            pipeline=train_pipeline)))

# `make toy`'s config: vit-tiny_toy.py with its trajectories extracted once
# before training instead of computed by online flow for every clip (flow
# is most of a toy clip's cost), and five passes over the 72 videos per
# epoch (the data worker restarts every epoch, which would otherwise cost
# about as much as the epoch's 5 steps).
# Extract first (seconds for the toy; `make toy` does it):
#   python tools/data/extract_trajectories.py data/toy/train_list.txt \
#       data/toy/trajectories
_base_ = ['./vit-tiny_toy.py']
from mme_mmaction.datasets.pipeline_steps import update_step  # noqa: E402

data_root = 'data/toy'
traj_root = f'{data_root}/trajectories'
# The base's steps, decoding only the sampled frames, with the stored source.
train_pipeline = update_step(
    update_step(_base_.train_pipeline, 'DecordDecodeWithTrajectoryFrames',
                raw_frames=False), 'TrajectoryTarget',
    source=dict(type='stored', root=traj_root, video_root=data_root))
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='RepeatDataset',
        times=5,
        dataset=dict(
            type='CheckedVideoDataset',
            ann_file=f'{data_root}/train_list.txt',
            data_prefix=dict(video=data_root),
            pipeline=train_pipeline)))

"""Model configs small enough for unit tests."""

# 4 frames of 32 x 32 in 2 x 16 x 16 tubelets: 2 x 2 x 2 = 8 tokens; 4 x 4
# trajectory cells per frame pair.
TINY_MME = dict(
    type='MME',
    backbone=dict(type='MaskedMotionEncoder',
                  arch=dict(embed_dims=48, depth=2, num_heads=3),
                  img_size=32, num_frames=4, use_mean_pooling=False),
    neck=dict(type='MMEDecoder', embed_dims=24, num_heads=3),
    target_generator=dict(type='HOGGenerator'),
    head=dict(type='MaskedRegressionHead', hidden_channels=32,
              act_cfg=dict(type='Sigmoid'), reduction='token_sum',
              loss_name='hog', loss_weight=0.5),
    motion_generator=dict(type='TrajectoryTargetGenerator', traj_len=4),
    motion_head=dict(type='MaskedRegressionHead', hidden_channels=32,
                     act_cfg=dict(type='Tanh'), reduction='token_sum',
                     loss_name='traj', loss_weight=0.5))


def tiny_mme_config(root, traj_norm: str, traj_len: int = 2) -> dict:
    """TINY_MME on ``root/list.txt``: 4 frames with stride ``traj_len``,
    centre-cropped to 32 x 32, half the tokens masked."""
    model = dict(
        TINY_MME,
        motion_head=dict(TINY_MME['motion_head'], act_cfg=None),
        motion_generator=dict(TINY_MME['motion_generator'],
                              traj_len=traj_len, norm=traj_norm))
    pipeline = [
        dict(type='CheckedDecordInit'),
        dict(type='SampleFrames', clip_len=4, frame_interval=traj_len,
             num_clips=1),
        dict(type='DecordDecodeWithTrajectoryFrames', traj_len=traj_len),
        dict(type='CenterCrop', crop_size=32),
        dict(type='TrajectoryTarget'),
        dict(type='TubeMaskGenerator', mask_ratio=0.5),
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='PackPretrainInputs'),
    ]
    return dict(
        model=model,
        train_dataloader=dict(dataset=dict(
            type='VideoDataset', ann_file=f'{root}/list.txt',
            data_prefix=dict(video=str(root)), pipeline=pipeline)))


# MotionMAE with two decoders (Ind) on TINY_MME's encoder.
TINY_MOTIONMAE = dict(
    type='MotionMAE',
    backbone=TINY_MME['backbone'],
    neck=dict(type='MMEDecoder', embed_dims=24, num_heads=3),
    head=dict(type='MaskedRegressionHead'),
    target_generator=dict(type='PixelTargetGenerator'),
    motion_generator=dict(type='FrameDifferenceTarget'),
    motion_neck=dict(type='MMEDecoder', embed_dims=12, num_heads=3),
    motion_head=dict(type='MaskedRegressionHead', loss_name='diff'))


def tiny_mam2(checkpoint: str) -> dict:
    """MAM2 on TINY_MME's encoder with the tiny VQGAN of
    ``vqgan_checkpoints.save_random_vqgan`` at ``checkpoint``."""
    from vqgan_checkpoints import TINY_DDCONFIG
    decoder = dict(type='MaskedTokenDecoder', embed_dims=24, depth=1,
                   num_heads=3)
    return dict(
        type='MAM2',
        backbone=TINY_MME['backbone'],
        regressor=dict(type='LatentRegressor', depth=2, num_heads=3),
        neck=decoder,
        head=dict(type='CodePredictionHead'),
        target_generator=dict(type='VQGANTokenizer', checkpoint=checkpoint,
                              ddconfig=TINY_DDCONFIG, embed_dim=8,
                              n_embed=32),
        motion_generator=dict(type='FrameDifferenceTarget'),
        motion_neck=decoder,
        motion_head=dict(type='MaskedRegressionHead', loss_name='diff'))

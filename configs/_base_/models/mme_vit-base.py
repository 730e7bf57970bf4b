# MME with a ViT-B/16 encoder on 16 x 224 x 224 clips (docs/method.md §6).
# 16 / 2 x (224 / 16)^2 = 1568 tokens; trajectories of L = 4 steps give
# 2 x 4 x 2 x 2 = 32 target values per token, HOG 3 x 9 x 2 x 2 = 108.
# The decoder's token count and widths, and the head's widths, come from
# the encoder, decoder and target generators.
model = dict(
    type='MME',
    backbone=dict(
        type='MaskedMotionEncoder',
        arch='base',
        img_size=224,
        patch_size=16,
        num_frames=16,
        tubelet_size=2,
        drop_path_rate=0.,
        use_mean_pooling=False),
    neck=dict(type='MMEDecoder', embed_dims=192, depth=1, num_heads=6),
    head=dict(
        type='MMEPretrainHead',
        hidden_channels=512,
        traj_act_cfg=dict(type='Tanh'),
        hog_act_cfg=dict(type='Sigmoid'),
        loss_weights=dict(traj=0.5, hog=0.5)),
    target_generator=dict(
        type='HOGGenerator', nbins=9, cell_size=8, patch_size=16,
        tubelet_size=2),
    motion_generator=dict(
        type='TrajectoryTargetGenerator',
        traj_len=4,
        cells_per_patch=2,
        norm='patch_std'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW'))

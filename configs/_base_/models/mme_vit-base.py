# MME with a ViT-B/16 encoder on 16 x 224 x 224 clips (docs/method.md §6):
# VideoMAE's parts with HOG for the pixels (3 x 9 x 2 x 2 = 108 values per
# token) and the trajectories of L = 4 steps as the motion target
# (2 x 4 x 2 x 2 = 32), both on one decoder of width 192 and one block;
# the loss is (L_traj + L_hog) / 2.
_base_ = ['./videomae_vit-base.py']

model = dict(
    type='MME',
    neck=dict(embed_dims=192, depth=1, num_heads=6),
    target_generator=dict(_delete_=True, type='HOGGenerator', nbins=9,
                          pool=8),
    head=dict(
        hidden_channels=512,
        act_cfg=dict(type='Sigmoid'),
        reduction='token_sum',
        loss_name='hog',
        loss_weight=0.5,
        init_cfg=dict(type='TruncNormal', layer='Linear', std=0.02,
                      bias=0.)),
    # traj_len: 4 (the default), the data's frame_interval.
    motion_generator=dict(
        type='TrajectoryTargetGenerator', cell_size=8, norm='patch_std'),
    motion_head=dict(
        type='MaskedRegressionHead',
        hidden_channels=512,
        act_cfg=dict(type='Tanh'),
        reduction='token_sum',
        loss_name='traj',
        loss_weight=0.5,
        init_cfg=dict(type='TruncNormal', layer='Linear', std=0.02,
                      bias=0.)))

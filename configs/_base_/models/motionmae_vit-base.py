# MotionMAE (docs/siblings.md §1 and §4, our defaults): VideoMAE with a second
# target, the signed difference of adjacent sampled frames (1536 values per
# token), each predicted by its own VideoMAE-sized decoder ("Ind"; set
# motion_neck=None for the shared "Sha" layout), MSE + MSE at 1:1.
_base_ = ['./videomae_vit-base.py']

model = dict(
    type='MotionMAE',
    motion_generator=dict(type='FrameDifferenceTarget', gap=1),
    motion_neck=dict(
        type='MMEDecoder', embed_dims=384, depth=4, num_heads=6),
    motion_head=dict(type='MaskedRegressionHead', loss_name='diff'))

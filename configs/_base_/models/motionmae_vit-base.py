# MotionMAE (docs/siblings.md §1 and §4, our defaults): VideoMAE with a second
# target, the signed difference of adjacent sampled frames (1536 values per
# token), each predicted by its own VideoMAE-sized decoder ("Ind"; set
# motion_neck=None for the shared "Sha" layout), MSE + MSE at 1:1.
_base_ = ['./videomae_vit-base.py']

model = dict(
    type='MotionMAE',
    motion_generator=dict(
        _delete_=True,
        type='FrameDifferenceTarget',
        patch_size=16,
        tubelet_size=2,
        gap=1),
    motion_neck=dict(
        type='MMEDecoder', embed_dims=384, depth=4, num_heads=6),
    motion_head=dict(type='PixelPretrainHead', loss_name='diff'))

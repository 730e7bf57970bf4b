# VideoMAE from the plugin's parts: MME's ViT-B/16 encoder, VideoMAE's
# decoder (384 wide, 4 blocks, 6 heads) and its patch-normalised pixel
# target (2 x 16 x 16 x 3 = 1536 values per token).
_base_ = ['./mme_vit-base.py']

model = dict(
    type='MaskedVideoPretrainer',
    neck=dict(embed_dims=384, depth=4, num_heads=6),
    head=dict(_delete_=True, type='PixelPretrainHead'),
    target_generator=dict(
        _delete_=True, type='PixelTargetGenerator', patch_size=16,
        tubelet_size=2),
    motion_generator=None)

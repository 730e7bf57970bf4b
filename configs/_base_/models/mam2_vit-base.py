# MAM2 (docs/siblings.md §2 and §4, our defaults): MME's ViT-B/16 encoder, a
# CAE-style latent regressor (4 cross-attention blocks at the encoder's width,
# 12 heads, layer scale 0.1), two separate decoders over the regressed masked
# tokens (384 wide, 4 blocks, 6 heads), VQGAN codes (two per 2-frame token,
# 1024-way cross-entropy) and the signed frame difference (MSE), 1:1. The VQGAN
# is taming-transformers' vqgan_imagenet_f16_1024, read from a local file:
# nothing is downloaded.
_base_ = ['./videomae_vit-base.py']

model = dict(
    type='MAM2',
    regressor=dict(
        type='LatentRegressor', depth=4, num_heads=12, layer_scale_init=0.1),
    neck=dict(
        _delete_=True,
        type='MaskedTokenDecoder',
        embed_dims=384,
        depth=4,
        num_heads=6),
    head=dict(_delete_=True, type='CodePredictionHead', loss_name='code'),
    target_generator=dict(
        _delete_=True,
        type='VQGANTokenizer',
        checkpoint='data/vqgan/vqgan_imagenet_f16_1024/last.ckpt',
        embed_dim=256,
        n_embed=1024,
        frames='all'),
    motion_generator=dict(type='FrameDifferenceTarget', gap=1),
    motion_neck=dict(
        type='MaskedTokenDecoder', embed_dims=384, depth=4, num_heads=6),
    motion_head=dict(type='MaskedRegressionHead', loss_name='diff'),
    align_weight=0.)

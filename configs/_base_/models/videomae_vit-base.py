# VideoMAE from the plugin's parts: MME's ViT-B/16 encoder on 16 x 224 x 224
# clips (1568 tokens), VideoMAE's decoder (384 wide, 4 blocks, 6 heads) and
# its patch-normalised pixel target (2 x 16 x 16 x 3 = 1536 values per
# token). The other methods add or swap targets, heads and decoders. Patch
# and tubelet sizes come from the backbone, the decoder's token count and
# widths from the encoder, the head's widths from the decoder and its
# target generator.
model = dict(
    type='MaskedVideoPretrainer',
    backbone=dict(
        type='MaskedMotionEncoder',
        arch='base',
        img_size=224,
        patch_size=16,
        num_frames=16,
        tubelet_size=2,
        drop_path_rate=0.,
        use_mean_pooling=False),
    neck=dict(type='MMEDecoder', embed_dims=384, depth=4, num_heads=6),
    target_generator=dict(type='PixelTargetGenerator'),
    head=dict(type='MaskedRegressionHead'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        format_shape='NCTHW'))

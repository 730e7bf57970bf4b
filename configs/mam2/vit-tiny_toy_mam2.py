# MAM2 on the generated toy dataset: the toy VideoMAE config (encoder, data,
# schedule, tube masking at 0.9) with MAM2's regressor, two decoders, VQ
# codes and frame differences. The tokenizer is trained on the toy first:
#   python tools/train_vq_tokenizer.py data/toy/train_list.txt \
#       work_dirs/vq_tokenizer_toy
_base_ = ['../videomae/vit-tiny_toy_pixel.py']

model = dict(
    type='MAM2',
    regressor=dict(
        type='LatentRegressor', depth=4, num_heads=3, layer_scale_init=0.1),
    neck=dict(
        _delete_=True,
        type='MaskedTokenDecoder',
        embed_dims=384,
        depth=4,
        num_heads=6),
    head=dict(_delete_=True, type='CodePredictionHead', loss_name='code'),
    # tools/train_vq_tokenizer.py's defaults.
    target_generator=dict(
        _delete_=True,
        type='VQGANTokenizer',
        checkpoint='work_dirs/vq_tokenizer_toy/vq_tokenizer.pth',
        ddconfig=dict(
            double_z=False,
            z_channels=32,
            resolution=64,
            in_channels=3,
            out_ch=3,
            ch=32,
            ch_mult=(1, 1, 1, 1, 1),
            num_res_blocks=0,
            attn_resolutions=(),
            dropout=0.0),
        embed_dim=32,
        n_embed=256),
    motion_generator=dict(_delete_=True, type='FrameDifferenceTarget',
                          gap=1),
    motion_neck=dict(
        type='MaskedTokenDecoder', embed_dims=384, depth=4, num_heads=6),
    motion_head=dict(_delete_=True, type='MaskedRegressionHead',
                     loss_name='diff'))

"""Model configs small enough for unit tests."""

# 4 frames of 32 x 32 in 2 x 16 x 16 tubelets: 2 x 2 x 2 = 8 tokens; 4 x 4
# trajectory cells per frame pair.
TINY_MME = dict(
    type='MME',
    backbone=dict(type='MaskedMotionEncoder',
                  arch=dict(embed_dims=48, depth=2, num_heads=3),
                  img_size=32, num_frames=4, use_mean_pooling=False),
    neck=dict(type='MMEDecoder', num_tokens=8, in_channels=48,
              embed_dims=24, num_heads=3),
    head=dict(type='MMEPretrainHead', in_channels=24, hidden_channels=32),
    target_generator=dict(type='HOGGenerator'))

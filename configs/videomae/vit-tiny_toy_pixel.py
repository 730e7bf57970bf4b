# VideoMAE (normalised-pixel targets) on the generated toy dataset, for the
# pre-training study (tools/analysis/pretrain_study.py): the toy MME config's
# encoder, data, sampling and schedule; VideoMAE's own decoder (384 wide,
# 4 blocks, 6 heads) and tube masking ratio 0.9.
_base_ = ['../mme/vit-tiny_toy.py']

model = dict(
    type='MaskedVideoPretrainer',
    neck=dict(embed_dims=384, depth=4, num_heads=6),
    head=dict(_delete_=True, type='PixelPretrainHead'),
    target_generator=dict(
        _delete_=True, type='PixelTargetGenerator', patch_size=16,
        tubelet_size=2),
    motion_generator=None)

train_pipeline = [
    dict(type='CheckedDecordInit'),
    dict(type='SampleFrames', clip_len=8, frame_interval=4, num_clips=1),
    dict(type='CheckedDecordDecode'),
    dict(
        type='MultiScaleCrop',
        input_size=96,
        scales=(1, 0.875, 0.75, 0.66),
        random_crop=False,
        max_wh_scale_gap=1),
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
    dict(type='TubeMaskGenerator', mask_ratio=0.9),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(
        type='PackActionInputs',
        algorithm_keys=('mask', ),
        meta_keys=('img_shape', 'filename'))
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# VideoMAE (pixel targets) built from the same parts as MME, for a fair
# comparison on Kinetics-400: same encoder, decoder, sampling, schedule and
# tube masking, the latter at VideoMAE's own ratio 0.9 (MME: 0.7); the head
# reconstructs the patch-normalised pixels of the masked tubes instead of
# predicting trajectories and HOG.
# Usage: tools/dist_train.sh configs/videomae/vitb_k400_pixel.py 16
_base_ = ['../mme/vitb_k400.py']

model = dict(
    type='MaskedVideoPretrainer',
    head=dict(_delete_=True, type='PixelPretrainHead', in_channels=192,
              out_channels=2 * 16 * 16 * 3),
    target_generator=dict(
        _delete_=True, type='PixelTargetGenerator', patch_size=16,
        tubelet_size=2))

train_pipeline = [
    dict(type='CheckedDecordInit'),
    dict(type='SampleFrames', clip_len=16, frame_interval=4, num_clips=1),
    dict(type='CheckedDecordDecode'),
    dict(type='Resize', scale=(-1, 256)),
    dict(
        type='MultiScaleCrop',
        input_size=256,
        scales=(1, 0.875, 0.75, 0.66),
        random_crop=False,
        max_wh_scale_gap=1),
    dict(type='Resize', scale=(224, 224), keep_ratio=False),
    dict(type='TubeMaskGenerator', mask_ratio=0.9),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(
        type='PackActionInputs',
        algorithm_keys=('mask', ),
        meta_keys=('img_shape', 'filename'))
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

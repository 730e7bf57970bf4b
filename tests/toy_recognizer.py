"""A small recognizer config on the toy dataset, written out by tests.

Deterministic data (test-mode sampling, fixed resize), a two-block ViT with
a fresh head; format with ``root`` (the repository) and ``data`` (a toy
dataset folder).
"""

RECOGNIZER_CONFIG = '''
_base_ = ['{root}/configs/_base_/default_runtime.py']
model = dict(
    type='Recognizer3D',
    backbone=dict(type='VisionTransformer', embed_dims=192, depth=2,
                  num_heads=3, img_size=64, num_frames=8),
    cls_head=dict(type='TimeSformerHead', num_classes=9, in_channels=192,
                  average_clips='prob'),
    data_preprocessor=dict(type='ActionDataPreprocessor',
                           mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], format_shape='NCTHW'))
test_pipeline = [
    dict(type='CheckedDecordInit'),
    dict(type='SampleFrames', clip_len=8, frame_interval=4, num_clips=1,
         test_mode=True),
    dict(type='CheckedDecordDecode'),
    dict(type='Resize', scale=(64, 64), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs')
]
test_dataloader = dict(
    batch_size=3, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='VideoDataset', ann_file='{data}/val_list.txt',
                 data_prefix=dict(video='{data}'), pipeline=test_pipeline,
                 test_mode=True))
test_evaluator = dict(type='AccMetric')
test_cfg = dict(type='TestLoop')
train_dataloader = dict(
    batch_size=4, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='VideoDataset', ann_file='{data}/train_list.txt',
                 data_prefix=dict(video='{data}'), pipeline=test_pipeline))
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=1, max_keep_ckpts=1))
'''

# MMAction2's stock recognizer around the stock ViT-B/16 (16 x 224 x 224), the
# model that an MME (or VideoMAE) pre-trained encoder is fine-tuned in
# (docs/method.md §7). The pre-training checkpoint's ``backbone.*`` keys are
# this ``VisionTransformer``'s; only ``fc_norm`` (the norm after mean pooling)
# is new. Dataset configs set ``init_cfg.checkpoint``, the classes and the
# mixup/cutmix ``num_classes``.
model = dict(
    type='Recognizer3D',
    backbone=dict(
        type='VisionTransformer',
        img_size=224,
        patch_size=16,
        embed_dims=768,
        depth=12,
        num_heads=12,
        mlp_ratio=4,
        qkv_bias=True,
        num_frames=16,
        drop_path_rate=0.1,
        use_mean_pooling=True,
        norm_cfg=dict(type='LN', eps=1e-6),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='work_dirs/vitb_ssv2/epoch_400.pth',
            prefix='backbone.')),
    cls_head=dict(
        type='TimeSformerHead',
        num_classes=400,
        in_channels=768,
        # VideoMAE's head init: trunc_normal(std=0.02) x init_scale 0.001.
        init_std=2e-5,
        # Label smoothing 0.1; mmaction's BaseHead also smooths the soft
        # (mixup / cutmix) labels, as timm's Mixup does.
        label_smooth_eps=0.1,
        average_clips='prob'),
    data_preprocessor=dict(
        type='ActionDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        # Mixup 0.8 / cutmix 1.0, one of the two per batch.
        blending=dict(
            type='RandomBatchAugment',
            augments=[
                dict(type='MixupBlending', alpha=0.8, num_classes=400),
                dict(type='CutmixBlending', alpha=1, num_classes=400)
            ]),
        format_shape='NCTHW'))

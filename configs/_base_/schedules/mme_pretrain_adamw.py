# Pre-training schedule of docs/method.md §7: AdamW (0.9, 0.95), wd 0.05 except
# on 1-D parameters, biases and the mask token; lr 1.5e-4 x batch / 256, here
# for 8 GPUs x 64 clips = 512 (the SSv2 configs' usage line; the 1600-epoch
# K400 schedule sets 16 x 64 = 1024); 40 warm-up epochs from ~0, then per-step
# cosine to min lr 1e-5 x batch / 256 (= lr / 15). Mixed precision: AMP on
# CUDA, bf16 autocast on CPU. auto_scale_lr is off, as in MMAction2's configs:
# with another total batch, add --auto-scale-lr.
max_epochs = 400
warmup_epochs = 40

optim_wrapper = dict(
    type='MixedPrecisionOptimWrapper',
    optimizer=dict(
        type='AdamW',
        lr=1.5e-4 * 512 / 256,
        betas=(0.9, 0.95),
        weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        flat_decay_mult=0.,
        custom_keys={'mask_token': dict(decay_mult=0.)}))

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-4,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - warmup_epochs,
        eta_min_ratio=1 / 15,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
        convert_to_iter_based=True)
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
val_cfg = None
test_cfg = None
auto_scale_lr = dict(enable=False, base_batch_size=512)

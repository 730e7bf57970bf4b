# The pre-training schedule of mme_pretrain_adamw.py over 1600 epochs
# (Kinetics-400, docs/method.md §7), for 16 GPUs x 64 clips = 1024 (the
# K400 configs' usage line).
_base_ = ['./mme_pretrain_adamw.py']

optim_wrapper = dict(optimizer=dict(lr=1.5e-4 * 1024 / 256))
auto_scale_lr = dict(base_batch_size=1024)

max_epochs = 1600
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-4,
        by_epoch=True,
        begin=0,
        end=40,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - 40,
        eta_min_ratio=1 / 15,
        by_epoch=True,
        begin=40,
        end=max_epochs,
        convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=max_epochs)

# MME ViT-B/16 pre-training on Something-Something V2, 400 epochs
# (docs/method.md §7; the paper reports 69.2 top-1 after SSv2 fine-tuning).
# Usage: tools/dist_train.sh configs/mme/vitb_ssv2.py 8
# SSv2 sampling: stride 2 with L = 2 trajectory steps (see the dataset
# config for why), so the trajectory head predicts 2 x 2 x 4 = 16 values.
_base_ = [
    '../_base_/models/mme_vit-base.py',
    '../_base_/datasets/sthv2_mme_pretrain.py',
    '../_base_/schedules/mme_pretrain_adamw.py',
    '../_base_/default_runtime.py',
]

model = dict(motion_generator=dict(traj_len=2))

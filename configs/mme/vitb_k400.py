# MME ViT-B/16 pre-training on Kinetics-400, 1600 epochs (docs/method.md §7;
# the paper reports 81.8 top-1 after K400 fine-tuning).
# Usage: tools/dist_train.sh configs/mme/vitb_k400.py 16
_base_ = [
    '../_base_/models/mme_vit-base.py',
    '../_base_/datasets/kinetics400_mme_pretrain.py',
    '../_base_/schedules/mme_pretrain_adamw_1600e.py',
    '../_base_/default_runtime.py',
]

# MAM2 ViT-B/16 pre-training on Kinetics-400 with MME's recipe
# (docs/siblings.md §4.1), 1600 epochs, tube masking at 0.9.
# Needs taming-transformers' VQGAN at model.target_generator.checkpoint.
# Usage: tools/dist_train.sh configs/mam2/vitb_k400_mam2.py 16
_base_ = [
    '../_base_/models/mam2_vit-base.py',
    '../_base_/datasets/kinetics400_pretrain.py',
    '../_base_/schedules/mme_pretrain_adamw_1600e.py',
    '../_base_/default_runtime.py',
]

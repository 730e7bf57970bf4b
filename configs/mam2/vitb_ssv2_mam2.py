# MAM2 ViT-B/16 pre-training on Something-Something V2 with MME's recipe
# (docs/siblings.md §4.1), 400 epochs, tube masking at 0.9.
# Needs taming-transformers' VQGAN at model.target_generator.checkpoint.
# Usage: tools/dist_train.sh configs/mam2/vitb_ssv2_mam2.py 8
_base_ = [
    '../_base_/models/mam2_vit-base.py',
    '../_base_/datasets/sthv2_pretrain.py',
    '../_base_/schedules/mme_pretrain_adamw.py',
    '../_base_/default_runtime.py',
]

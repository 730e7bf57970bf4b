# VideoMAE (pixel targets) built from the same parts as MME, with VideoMAE's
# own recipe on Something-Something V2: MME's encoder, stride-2 sampling and
# 400-epoch schedule; VideoMAE's decoder (384 wide, 4 blocks, 6 heads) and
# tube masking ratio 0.9. VideoMAE and MGMAE report SSv2 after 800 epochs,
# twice this schedule (configs/mgmae/README.md).
# Usage: tools/dist_train.sh configs/videomae/vitb_ssv2_pixel.py 8
_base_ = [
    '../_base_/models/videomae_vit-base.py',
    '../_base_/datasets/sthv2_pretrain.py',
    '../_base_/schedules/mme_pretrain_adamw.py',
    '../_base_/default_runtime.py',
]

# VideoMAE (pixel targets) built from the same parts as MME, with VideoMAE's
# own recipe on Kinetics-400: MME's encoder, sampling and schedule; VideoMAE's
# decoder (384 wide, 4 blocks, 6 heads) and tube masking ratio 0.9 (MME:
# 192 x 1 and 0.7). The head reconstructs the patch-normalised pixels of the
# masked tubes instead of predicting trajectories and HOG.
# Usage: tools/dist_train.sh configs/videomae/vitb_k400_pixel.py 16
_base_ = [
    '../_base_/models/videomae_vit-base.py',
    '../_base_/datasets/kinetics400_pretrain.py',
    '../_base_/schedules/mme_pretrain_adamw_1600e.py',
    '../_base_/default_runtime.py',
]

# OpenMMLab-style name of configs/mme/vitb_k400.py: MME ViT-B/16 pre-training
# on Kinetics-400, 16 frames with stride 4, 1600 epochs.
_base_ = ['./vitb_k400.py']

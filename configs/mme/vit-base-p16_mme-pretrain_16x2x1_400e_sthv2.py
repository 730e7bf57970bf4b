# OpenMMLab-style name of configs/mme/vitb_ssv2.py: MME ViT-B/16 pre-training
# on Something-Something V2, 16 frames with stride 2, 400 epochs.
_base_ = ['./vitb_ssv2.py']

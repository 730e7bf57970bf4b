# MotionMAE "Sha" on the toy: one decoder, two linear heads.
_base_ = ['./vit-tiny_toy_motionmae.py']

model = dict(motion_neck=None)

# The toy MME config with the paper's trajectory target exactly: PatchStd with
# no noise floor, Tanh output (docs/method.md §4.4, §6). docs/pretraining.md
# explains why this target carries no learnable signal at toy scale.
_base_ = ['./vit-tiny_toy.py']

model = dict(
    motion_generator=dict(norm='patch_std', patch_std_min_std=0.),
    motion_head=dict(act_cfg=dict(_delete_=True, type='Tanh')))

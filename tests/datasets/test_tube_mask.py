import numpy as np
import pytest
from mmaction.registry import TRANSFORMS
from mmengine import Config

from mme_mmaction.datasets.transforms import (SliceRandomMaskGenerator,
                                              TubeMaskGenerator)


def make(seed, **kwargs):
    np.random.seed(seed)
    results = dict(img_shape=(224, 224), clip_len=16)
    return TubeMaskGenerator(**kwargs).transform(results)['mask']


def test_ratio_07_on_8x14x14_masks_1096_and_keeps_472():
    mask = make(0)
    assert mask.dtype == bool and mask.shape == (1568, )
    assert mask.sum() == 1096 and (~mask).sum() == 472
    slices = mask.reshape(8, 196)
    assert (slices == slices[0]).all() and slices[0].sum() == 137


def test_masks_are_reproducible_under_a_seed_and_vary_without():
    assert np.array_equal(make(3), make(3))
    assert not np.array_equal(make(3), make(4))


def test_other_grids_and_ratios():
    np.random.seed(0)
    results = dict(img_shape=(64, 96), clip_len=8)
    mask = TubeMaskGenerator(0.5, patch_size=16, tubelet_size=4).transform(
        results)['mask']
    assert mask.shape == (2 * 4 * 6, ) and mask.sum() == 2 * 12


def test_bad_shapes_and_ratios_are_rejected():
    with pytest.raises(ValueError, match='tubes'):
        TubeMaskGenerator().transform(dict(img_shape=(100, 224), clip_len=16))
    with pytest.raises(ValueError, match='mask_ratio'):
        TubeMaskGenerator(1.0)


def test_slice_masks_have_176_of_196_per_slice_at_different_places():
    np.random.seed(0)
    mask = SliceRandomMaskGenerator().transform(
        dict(img_shape=(224, 224), clip_len=16))['mask']
    assert mask.shape == (1568, ) and mask.sum() == 1408
    slices = mask.reshape(8, 196)
    assert (slices.sum(1) == 176).all()
    assert len({row.tobytes() for row in slices}) == 8


def test_slice_masks_check_like_tube_masks():
    with pytest.raises(ValueError, match='tubes'):
        SliceRandomMaskGenerator().transform(
            dict(img_shape=(224, 224), clip_len=15))
    assert 'SliceRandomMaskGenerator(mask_ratio=0.9' in repr(
        SliceRandomMaskGenerator())


TOY_CONFIGS = ['configs/mme/vit-tiny_toy.py',
               'configs/videomae/vit-tiny_toy_pixel.py',
               'configs/motionmae/vit-tiny_toy_motionmae.py',
               'configs/mam2/vit-tiny_toy_mam2.py']


def config_mask(config, mask_ratio):
    """The mask generator of a config's training pipeline, at a ratio."""
    cfg = Config.fromfile(config)
    step, = (step for step in cfg.train_dataloader.dataset.pipeline
             if step['type'].endswith('MaskGenerator'))
    return dict(step, mask_ratio=mask_ratio)


@pytest.mark.parametrize('config', TOY_CONFIGS)
@pytest.mark.parametrize('mask_ratio', [0, 0.0, -0.1, 1, 1.5])
def test_ratios_masking_no_token_or_every_token_are_refused_at_build(
        config, mask_ratio):
    with pytest.raises(ValueError,
                       match=r'mask_ratio must be in \(0, 1\), got '):
        TRANSFORMS.build(config_mask(config, mask_ratio))


@pytest.mark.parametrize('config', TOY_CONFIGS)
def test_ratio_masking_no_token_of_the_grid_is_refused_at_the_first_clip(
        config):
    """The toy clips are 8 frames of 64 x 64: 16 patches per slice, so
    0.05 masks int(0.8) = 0 of them; 1 / 16 masks one."""
    generator = TRANSFORMS.build(config_mask(config, 0.05))
    with pytest.raises(ValueError, match=(
            r'mask_ratio=0.05 masks no token: int\(0.05 \* 16\) = 0 of the '
            r'4x4 patches of each slice of a 8x64x64 clip \(patch_size=16\)'
            r'.*mask_ratio >= 0.0625')):
        generator.transform(dict(img_shape=(64, 64), clip_len=8))
    mask = TRANSFORMS.build(config_mask(config, 1 / 16)).transform(
        dict(img_shape=(64, 64), clip_len=8))['mask']
    assert (mask.reshape(4, 16).sum(1) == 1).all()

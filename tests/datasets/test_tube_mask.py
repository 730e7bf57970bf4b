import numpy as np
import pytest

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

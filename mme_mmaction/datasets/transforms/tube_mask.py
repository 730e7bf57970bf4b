"""Tube masking (docs/method.md §3) and per-slice random masking."""
from typing import Dict, Tuple

import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform


@TRANSFORMS.register_module()
class TubeMaskGenerator(BaseTransform):
    """One random spatial mask repeated over every temporal slice.

    ``int(mask_ratio * H' * W')`` patches are masked per slice: ratio 0.7 on
    an 8x14x14 token grid masks 137 patches per slice, 1096 tokens in all,
    and leaves 472 visible. Draws from numpy's global generator, which
    mmengine seeds per worker, so a seeded run reproduces its masks.

    Required keys: ``img_shape``, ``clip_len``.
    Added keys: ``mask`` bool (T' * H' * W',), True for masked tokens, in
    (t, h, w) order.

    Args:
        mask_ratio (float): Fraction of patches masked. Defaults to 0.7.
        patch_size (int): Spatial patch size. Defaults to 16.
        tubelet_size (int): Frames per token. Defaults to 2.
    """

    def __init__(self,
                 mask_ratio: float = 0.7,
                 patch_size: int = 16,
                 tubelet_size: int = 2) -> None:
        if not 0 < mask_ratio < 1:
            raise ValueError(
                f'mask_ratio must be in (0, 1), got {mask_ratio}: 0 masks no '
                'token, so there is nothing to predict, and 1 leaves none '
                'visible to encode.')
        self.mask_ratio = mask_ratio
        self.patch_size = patch_size
        self.tubelet_size = tubelet_size

    def transform(self, results: Dict) -> Dict:
        """Add ``results['mask']``."""
        num_slices, grid, num_masked = self._token_grid(results)
        results['mask'] = self._draw(num_slices, grid[0] * grid[1],
                                     num_masked).reshape(-1)
        return results

    def _token_grid(self, results: Dict) -> Tuple[int, Tuple[int, int], int]:
        """Slices, (H', W') and masked patches per slice of a sample.

        Raises:
            ValueError: If the clip does not divide into tubes, or the ratio
                masks no patch of it.
        """
        height, width = results['img_shape']
        clip_len = results['clip_len']
        if height % self.patch_size or width % self.patch_size or \
                clip_len % self.tubelet_size:
            raise ValueError(
                f'Clip of {clip_len}x{height}x{width} does not divide into '
                f'{self.tubelet_size}x{self.patch_size}x{self.patch_size} '
                'tubes.')
        grid = (height // self.patch_size, width // self.patch_size)
        num_patches = grid[0] * grid[1]
        num_masked = int(self.mask_ratio * num_patches)
        if num_masked == 0:
            raise ValueError(
                f'mask_ratio={self.mask_ratio} masks no token: '
                f'int({self.mask_ratio} * {num_patches}) = 0 of the '
                f'{grid[0]}x{grid[1]} patches of each slice of a '
                f'{clip_len}x{height}x{width} clip '
                f'(patch_size={self.patch_size}), so there is nothing to '
                f'predict. Use mask_ratio >= {1 / num_patches:.4g}.')
        return clip_len // self.tubelet_size, grid, num_masked

    @staticmethod
    def _random_slice(num_patches: int, num_masked: int) -> np.ndarray:
        """(num_patches,) bool with ``num_masked`` True at random."""
        spatial = np.zeros(num_patches, dtype=bool)
        spatial[np.random.permutation(num_patches)[:num_masked]] = True
        return spatial

    def _draw(self, num_slices: int, num_patches: int,
              num_masked: int) -> np.ndarray:
        """(T', H' * W') bool: one spatial mask for every slice."""
        return np.tile(self._random_slice(num_patches, num_masked),
                       (num_slices, 1))

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(mask_ratio={self.mask_ratio}, '
                f'patch_size={self.patch_size}, '
                f'tubelet_size={self.tubelet_size})')


@TRANSFORMS.register_module()
class SliceRandomMaskGenerator(TubeMaskGenerator):
    """An independent random spatial mask for every temporal slice.

    MotionMAE's masking (docs/siblings.md §1.2): each of the T' slices masks
    ``int(mask_ratio * H' * W')`` patches drawn on its own, so every slice
    has the same count (unlike global random masking) at different places
    (unlike a tube mask). Ratio 0.9 on 8x14x14 tokens masks 176 patches per
    slice, 1408 in all.

    Required and added keys, and arguments: those of
    :class:`TubeMaskGenerator` (``mask_ratio`` defaults to 0.9).
    """

    def __init__(self,
                 mask_ratio: float = 0.9,
                 patch_size: int = 16,
                 tubelet_size: int = 2) -> None:
        super().__init__(mask_ratio, patch_size, tubelet_size)

    def _draw(self, num_slices: int, num_patches: int,
              num_masked: int) -> np.ndarray:
        return np.stack([
            self._random_slice(num_patches, num_masked)
            for _ in range(num_slices)
        ])

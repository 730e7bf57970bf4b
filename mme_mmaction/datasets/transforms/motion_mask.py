"""Masks guided by the clip's motion: warped tubes and motion masks."""
from typing import Dict, List, Tuple, Union

import numpy as np
from mmaction.registry import TRANSFORMS

from mme_mmaction.motion.token_motion import forward_map, token_motion
from .tube_mask import TubeMaskGenerator

MODES = ('warp', 'motion')
BASE_SLICES = ('middle', 'first', 'random')


@TRANSFORMS.register_module()
class MotionGuidedMaskGenerator(TubeMaskGenerator):
    """A mask whose tokens follow the motion of the clip (docs/masking.md).

    Reads the trajectories of :class:`TrajectoryTarget` (place it after
    that step; any trajectory source works). A token's motion is the mean
    trajectory of its cells, where at least half of them are valid (the
    trajectory check ends those crossing a cut or running into an
    occluder), scaled at constant velocity from the trajectories' ``L`` raw
    steps to the raw frames between its slice's first frame and the next
    slice's. Every slice masks exactly ``int(mask_ratio * H' * W')`` tokens,
    as :class:`TubeMaskGenerator` does.

    - ``mode='warp'`` (MGMAE-style): the visible tokens are drawn at random
      on a base slice and carried along the motion: each moves to the
      token its motion lands on in the next slice; going back from the
      base, a token is visible when its motion lands on a visible token of
      the following slice. The visible tokens of every slice then show the
      same moving content. Where tokens collide, leave the frame or have
      no valid motion, the count is restored with tokens drawn at random
      (content entering the clip); where more tokens land on visible ones
      than the count allows, random ones are dropped.
    - ``mode='motion'`` (MGM-style): in every slice the tokens whose motion
      differs most from the slice's median motion (the camera's, so a pan
      does not decide) are masked first; ``random_share`` of the masked
      tokens are drawn at random on the base slice instead and carried
      along the motion as the warp mode carries its visible set.

    Required keys: ``img_shape``, ``clip_len``, ``frame_inds``,
    ``traj_len``, ``trajectories``, ``traj_valid``.
    Added keys: ``mask`` bool (T' * H' * W',), True for masked tokens, in
    (t, h, w) order.

    Args:
        mode (str): ``'warp'`` (default) or ``'motion'``.
        mask_ratio (float): Fraction of patches masked per slice. Defaults
            to 0.9 (VideoMAE's).
        base_slice (str | int): Where ``warp`` draws its visible set and
            ``motion`` its random share: ``'middle'`` (default), ``'first'``,
            ``'random'`` or a slice index.
        random_share (float): ``motion`` only: share of the masked tokens
            drawn at random, in [0, 1]. Defaults to 0.5.
        patch_size (int): Spatial patch size. Defaults to 16.
        tubelet_size (int): Frames per token. Defaults to 2.
    """

    def __init__(self,
                 mode: str = 'warp',
                 mask_ratio: float = 0.9,
                 base_slice: Union[str, int] = 'middle',
                 random_share: float = 0.5,
                 patch_size: int = 16,
                 tubelet_size: int = 2) -> None:
        super().__init__(mask_ratio, patch_size, tubelet_size)
        if mode not in MODES:
            raise ValueError(f'mode must be one of {MODES}, got {mode!r}.')
        if not (base_slice in BASE_SLICES or isinstance(base_slice, int)
                and base_slice >= 0):
            raise ValueError(f'base_slice must be one of {BASE_SLICES} or a '
                             f'slice index >= 0, got {base_slice!r}.')
        if not 0 <= random_share <= 1:
            raise ValueError(
                f'random_share must be in [0, 1], got {random_share}.')
        self.mode = mode
        self.base_slice = base_slice
        self.random_share = random_share

    def transform(self, results: Dict) -> Dict:
        """Add ``results['mask']``."""
        num_slices, grid, num_masked = self._token_grid(results)
        motion, known, maps = self._token_moves(results, num_slices, grid)
        num_patches = grid[0] * grid[1]
        base = self._base(num_slices, results)
        if self.mode == 'warp':
            anywhere = np.ones((num_slices, num_patches), dtype=bool)
            mask = ~carry(maps, base, num_patches - num_masked, anywhere)
        else:
            num_random = int(round(self.random_share * num_masked))
            moving = most_moving(motion, known, num_masked - num_random)
            mask = moving | carry(maps, base, num_random, ~moving)
        results['mask'] = mask.reshape(-1)
        return results

    def _token_moves(
        self, results: Dict, num_slices: int, grid: Tuple[int, int]
    ) -> Tuple[np.ndarray, np.ndarray, List[np.ndarray]]:
        """Each token's motion, and where it lands in the next slice.

        Returns:
            tuple: (T', H' * W', 2) motion of every token over its
            trajectories' steps, (T', H' * W') bool whether it is known,
            and T' - 1 maps (H' * W',) of :func:`forward_map`.
        """
        name = type(self).__name__
        filename = results.get('filename', '<unknown video>')
        if 'trajectories' not in results:
            raise KeyError(
                f'{filename}: {name} reads the trajectories of '
                'TrajectoryTarget: place it after that step.')
        trajectories = results['trajectories']
        valid = results['traj_valid']
        if len(trajectories) != num_slices:
            raise ValueError(
                f'{filename}: the trajectories cover {len(trajectories)} '
                f'tubelets, the clip has {num_slices} slices of '
                f'{self.tubelet_size} frames ({name}.tubelet_size): set the '
                'same tubelet_size in DecordDecodeWithTrajectoryFrames and '
                f'{name}.')
        cell = results['img_shape'][0] // trajectories.shape[-2]
        if self.patch_size % cell or trajectories.shape[-2:] != tuple(
                np.array(grid) * (self.patch_size // cell)):
            raise ValueError(
                f'{filename}: trajectory cells of {cell} px '
                '(TrajectoryTarget.cell_size) do not tile the '
                f'{self.patch_size} px patches of {name}: use a cell_size '
                f'that divides patch_size={self.patch_size}.')
        if (valid & ~np.isfinite(trajectories).all(axis=(1, 2))).any():
            raise ValueError(f'{filename}: valid trajectories hold inf or '
                             'NaN displacements.')
        motion, known = token_motion(trajectories, valid,
                                     self.patch_size // cell)
        frame_inds = np.asarray(results['frame_inds']).reshape(-1)
        starts = frame_inds[::self.tubelet_size]
        # Raw frames between slices over the trajectories' raw steps, in
        # tokens per final-frame pixel; a clip that loops back (gap <= 0)
        # carries nothing across.
        gaps = np.diff(starts)
        scales = gaps / (results['traj_len'] * self.patch_size)
        maps = [
            forward_map(motion[t] * scales[t], known[t] & (gaps[t] > 0))
            for t in range(num_slices - 1)
        ]
        return (motion.reshape(num_slices, -1, 2),
                known.reshape(num_slices, -1), maps)

    def _base(self, num_slices: int, results: Dict) -> int:
        """The base slice's index."""
        if self.base_slice == 'middle':
            return num_slices // 2
        if self.base_slice == 'first':
            return 0
        if self.base_slice == 'random':
            return int(np.random.randint(num_slices))
        if self.base_slice >= num_slices:
            raise ValueError(
                f'{results.get("filename")}: base_slice={self.base_slice} '
                f'but the clip has {num_slices} slices.')
        return self.base_slice

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(mode={self.mode!r}, '
                f'mask_ratio={self.mask_ratio}, '
                f'base_slice={self.base_slice!r}, '
                f'random_share={self.random_share}, '
                f'patch_size={self.patch_size}, '
                f'tubelet_size={self.tubelet_size})')


def settle(chosen: np.ndarray, count: int, allowed: np.ndarray) -> np.ndarray:
    """``chosen`` with exactly ``count`` tokens: random ones dropped, or
    random ``allowed`` ones added.

    Args:
        chosen (np.ndarray): (N,) bool.
        count (int): Tokens wanted; at most ``allowed.sum()``.
        allowed (np.ndarray): (N,) bool, a superset of ``chosen``.

    Returns:
        np.ndarray: (N,) bool with ``count`` True.
    """
    chosen = chosen.copy()
    surplus = int(chosen.sum()) - count
    if surplus > 0:
        chosen[np.random.permutation(np.flatnonzero(chosen))[:surplus]] = False
    elif surplus < 0:
        free = np.flatnonzero(allowed & ~chosen)
        chosen[np.random.permutation(free)[:-surplus]] = True
    return chosen


def carry(maps: List[np.ndarray], base: int, count: int,
          allowed: np.ndarray) -> np.ndarray:
    """A random token set drawn on the base slice, carried along the motion.

    Args:
        maps (list[np.ndarray]): T' - 1 maps (N,) from slice t to t + 1 of
            :func:`~mme_mmaction.motion.token_motion.forward_map`.
        base (int): Slice where the set is drawn.
        count (int): Tokens per slice.
        allowed (np.ndarray): (T', N) bool: tokens the set may hold.

    Returns:
        np.ndarray: (T', N) bool with ``count`` tokens per slice.
    """
    sets = [np.zeros(0, dtype=bool)] * len(allowed)
    sets[base] = settle(np.zeros_like(allowed[base]), count, allowed[base])
    for t in range(base, len(allowed) - 1):
        landed = np.zeros_like(sets[t])
        targets = maps[t][sets[t]]
        landed[targets[targets >= 0]] = True
        sets[t + 1] = settle(landed & allowed[t + 1], count, allowed[t + 1])
    for t in range(base - 1, -1, -1):
        lands = maps[t] >= 0
        onto = np.zeros_like(lands)
        onto[lands] = sets[t + 1][maps[t][lands]]
        sets[t] = settle(onto & allowed[t], count, allowed[t])
    return np.stack(sets)


def most_moving(motion: np.ndarray, known: np.ndarray,
                count: int) -> np.ndarray:
    """In every slice, the ``count`` tokens moving most against the slice's
    median token.

    Args:
        motion (np.ndarray): (T', N, 2) token motion.
        known (np.ndarray): (T', N) bool: the motion is known.
        count (int): Tokens chosen per slice.

    Returns:
        np.ndarray: (T', N) bool; ties (and unknown motion, ranked last)
        are broken at random.
    """
    # Per-slice median of the known tokens: sorting puts the unknown (NaN)
    # last, so the middle of the first ``n`` entries is the median.
    ranked = np.sort(np.where(known[..., None], motion, np.nan), axis=1)
    n = known.sum(axis=1)
    middle = np.stack([np.maximum(n - 1, 0) // 2, n // 2], axis=1)
    middle = np.minimum(middle, known.shape[1] - 1)[..., None]
    camera = np.nan_to_num(np.take_along_axis(ranked, middle, axis=1).mean(
        axis=1, keepdims=True))
    relative = np.where(known, np.linalg.norm(motion - camera, axis=-1),
                        -np.inf)
    order = np.lexsort((np.random.rand(*known.shape), -relative), axis=-1)
    chosen = np.zeros(known.shape, dtype=bool)
    np.put_along_axis(chosen, order[:, :count], True, axis=1)
    return chosen

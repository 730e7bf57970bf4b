"""The clip's mask, and the tube and motion-guided masks side by side."""
import copy
from pathlib import Path
from typing import List

import numpy as np
from mmaction.registry import TRANSFORMS

from .clip import Clip
from .figures import figure, grid, save, show_image

# (title, mask step type, extra arguments) of the compared masks.
COMPARED = (
    ('tube mask', 'TubeMaskGenerator', {}),
    ('motion-guided, warp', 'MotionGuidedMaskGenerator', dict(mode='warp')),
    ('motion-guided, motion', 'MotionGuidedMaskGenerator',
     dict(mode='motion')),
)


def grey_out(frame: np.ndarray, masked: np.ndarray, patch: int) -> np.ndarray:
    """``frame`` (H, W, 3) with the masked patches of ``masked`` (H', W')
    faded to grey."""
    pixels = masked.repeat(patch, 0).repeat(patch, 1)[..., None]
    grey = (0.2 * frame + 0.8 * 128).astype(np.uint8)
    return np.where(pixels, grey, frame)


def slice_masks(clip: Clip, mask: np.ndarray) -> np.ndarray:
    """(T', H', W') view of a flat token mask of the clip."""
    num, height, width = clip.frames.shape[:3]
    return mask.reshape(num // clip.tubelet, height // clip.patch,
                        width // clip.patch)


def draw_mask(clip: Clip, path: Path, written: List[str]) -> None:
    """The frames with the pipeline's masked patches greyed out."""
    patches = slice_masks(clip, clip.results['mask'])
    fig, axes = grid(*clip.frames.shape[:3])
    for i, (ax, frame) in enumerate(zip(axes, clip.frames)):
        show_image(ax, grey_out(frame, patches[i // clip.tubelet],
                                clip.patch),
                   f'frame {clip.frame_inds[i]}: {int(patches[0].sum())} of '
                   f'{patches[0].size} patches masked')
    save(fig, path, written)


def draw_mask_comparison(clip: Clip, seed: int, path: Path,
                         written: List[str]) -> None:
    """One row per mask of :data:`COMPARED`, one column per slice (its
    first frame): the tube mask keeps its visible patches in place; the
    motion-guided ones move them with the content.

    Args:
        clip (Clip): A sample whose pipeline tracked trajectories.
        seed (int): Seed of every mask's draw (the same for each).
        path (Path): PNG to write.
        written (list[str]): Paths written so far; ``path`` is appended.
    """
    firsts = clip.frames[::clip.tubelet]
    own = TRANSFORMS.build(clip.mask_step)
    rows = []
    for title, kind, extra in COMPARED:
        step = dict(type=kind, mask_ratio=own.mask_ratio,
                    patch_size=own.patch_size,
                    tubelet_size=own.tubelet_size, **extra)
        np.random.seed(seed)
        mask = TRANSFORMS.build(step)(copy.copy(clip.results))['mask']
        rows.append((title, slice_masks(clip, mask)))
    height, width = firsts.shape[1:3]
    panel = max(2.5, width / 100)
    fig = figure(len(firsts) * panel,
                 len(rows) * (panel * height / width + 0.45))
    axes = fig.subplots(len(rows), len(firsts), squeeze=False)
    for (title, masks), row in zip(rows, axes):
        for t, (ax, frame) in enumerate(zip(row, firsts)):
            ax.set_axis_off()
            show_image(ax, grey_out(frame, masks[t], clip.patch),
                       f'{title}: frame {clip.frame_inds[t * clip.tubelet]}'
                       if t == 0 else
                       f'frame {clip.frame_inds[t * clip.tubelet]}')
    save(fig, path, written)

"""Predictions beside targets for the masked tokens of one clip."""
import math
from pathlib import Path
from typing import List, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import load_checkpoint
from mmengine.structures import BaseDataElement
from mmaction.registry import MODELS

from .clip import Clip
from .figures import figure, save, show_image


def predict(cfg: Config, checkpoint: str, clip: Clip) -> BaseDataElement:
    """The model's predictions for the clip's masked tokens.

    Args:
        cfg (Config): Config of the model.
        checkpoint (str): Its weights; every key must match.
        clip (Clip): The sample, packed here with the config's transforms.

    Returns:
        BaseDataElement: With ``pred_traj``, ``target_traj``, ``pred_hog``,
        ``target_hog`` and ``weight_traj`` (the token validity; see
        ``MaskedVideoPretrainer.predict``), and the
        metainfo ``traj_unit``: what the model's trajectory target measures.
    """
    model = MODELS.build(cfg.model)
    load_checkpoint(model, checkpoint, map_location='cpu', strict=True,
                    logger='silent')
    packed = dict(clip.results)
    for transform in clip.packing:
        packed = transform(packed)
    data = dict(inputs=[packed['inputs']],
                data_samples=[packed['data_samples']])
    model.eval()
    with torch.no_grad():
        sample = model.test_step(data)[0]
    sample.set_metainfo(dict(traj_unit=model.motion_generator.unit))
    return sample


def _token_heat(errors: np.ndarray, weights: np.ndarray, masked: np.ndarray,
                shape: Tuple[int, int, int]) -> np.ndarray:
    """Weighted mean over tubelets of per-token errors; NaN where none."""
    values = np.zeros(np.prod(shape))
    counts = np.zeros(np.prod(shape))
    values[masked] = errors * weights
    counts[masked] = weights
    total = values.reshape(shape).sum(0)
    count = counts.reshape(shape).sum(0)
    return np.where(count > 0, total / np.maximum(count, 1e-12), np.nan)


def draw_predictions(clip: Clip, sample: BaseDataElement, path: Path,
                     written: List[str], num_examples: int = 3) -> None:
    """Predictions beside targets for the masked tokens.

    Top row: per-token squared error of trajectories (valid tokens only)
    and HOG over the first frame, and predicted against target trajectory
    values. Below, for the masked tokens with the most target motion:
    the 2x2 sub-trajectories (target solid, prediction dashed) and the HOG
    values. Trajectory values are labelled with the unit of the model's
    target (``sample.traj_unit``, e.g. PatchStd or px).
    """
    pred_traj, target_traj = (sample.pred_traj.numpy(),
                              sample.target_traj.numpy())
    pred_hog, target_hog = sample.pred_hog.numpy(), sample.target_hog.numpy()
    validity = sample.weight_traj.numpy()
    masked = np.flatnonzero(clip.results['mask'])
    num, height, width = clip.frames.shape[:3]
    shape = (num // clip.tubelet, height // clip.patch, width // clip.patch)
    err_traj = ((pred_traj - target_traj)**2).sum(-1)
    err_hog = ((pred_hog - target_hog)**2).sum(-1)

    fig = figure(12, 11)
    axes = fig.subplots(3, num_examples, squeeze=False)
    dimmed = (0.4 * clip.frames[0]).astype(np.uint8)
    for ax, err, weight, name in ((axes[0, 0], err_traj, validity,
                                   'trajectory'),
                                  (axes[0, 1], err_hog, np.ones_like(err_hog),
                                   'HOG')):
        show_image(ax, dimmed, f'{name} squared error per masked token\n'
                   '(mean over tubelets; visible tokens clear)')
        heat = ax.imshow(_token_heat(err, weight, masked, shape),
                         extent=(0, width, height, 0), cmap='magma',
                         alpha=0.8, interpolation='nearest')
        fig.colorbar(heat, ax=ax, shrink=0.7)
        ax.set_axis_off()
    valid = validity > 0
    axes[0, 2].scatter(target_traj[valid].ravel(), pred_traj[valid].ravel(),
                       s=2, alpha=0.4)
    axes[0, 2].axline((0, 0), slope=1, color='grey', linewidth=0.8)
    axes[0, 2].set(xlabel=f'target ({sample.traj_unit})',
                   ylabel=f'prediction ({sample.traj_unit})')
    axes[0, 2].set_title('trajectory values of valid masked tokens',
                         fontsize=9)

    steps = clip.traj_len
    k = int(round(math.sqrt(target_traj.shape[1] / (2 * steps))))
    order = np.argsort(-np.abs(target_traj).sum(-1) * valid)
    for col in range(num_examples):
        ax_traj, ax_hog = axes[1, col], axes[2, col]
        if col >= min(num_examples, int(valid.sum())):
            ax_traj.set_axis_off()
            ax_hog.set_axis_off()
            continue
        row = order[col]
        t, h, w = np.unravel_index(masked[row], shape)
        for values, style in ((target_traj[row], '-'), (pred_traj[row], '--')):
            # (c, step, h2, w2) -> per sub-cell polylines from its own
            # origin, spread on a 4-unit grid so they do not overlap.
            moves = values.reshape(2, steps, k, k)
            for h2 in range(k):
                for w2 in range(k):
                    points = np.cumsum(np.concatenate(
                        [[[4. * w2, 4. * h2]], moves[:, :, h2, w2].T]), 0)
                    ax_traj.plot(*points.T, style, marker='.',
                                 color=f'C{h2 * k + w2}')
        ax_traj.set_aspect('equal')
        ax_traj.invert_yaxis()
        ax_traj.set_title(f'token t={t} h={h} w={w}: sub-trajectories in '
                          f'{sample.traj_unit}\n(target solid, prediction '
                          'dashed)', fontsize=9)
        ax_hog.plot(target_hog[row], label='target')
        ax_hog.plot(pred_hog[row], label='prediction')
        ax_hog.set_xlabel('(colour, bin, h2, w2)')
        ax_hog.set_title('HOG', fontsize=9)
        ax_hog.legend(fontsize=8)
    save(fig, path, written)

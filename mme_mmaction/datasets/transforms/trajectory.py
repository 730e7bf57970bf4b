"""Dense trajectory targets on the final frame's cell grid."""
from typing import Dict, Optional, Tuple

import numpy as np
from einops import rearrange
from mmaction.registry import TRANSFORMS

from mme_mmaction.motion import PhotometricCheck, cell_centres
from mme_mmaction.registry import TRAJECTORY_SOURCES
from .bad_input import SkipsBadInput
from .trajectory_sources.base import crop_scale


@TRANSFORMS.register_module()
class TrajectoryTarget(SkipsBadInput):
    """Trajectories of the cell centres of the final frame (docs/method.md §4).

    Place it after every geometric transform (``MultiScaleCrop``,
    ``RandomResizedCrop``, ``Resize``, ``CenterCrop``, ``Flip``): those only
    touch ``imgs`` and record ``crop_quadruple``, ``img_shape``, ``flip``
    and ``flip_direction``, from which the seeds' positions in the raw
    frames are recovered (docs/method.md §4.3). Seeds sit at the centres of the
    ``cell_size`` cells of the final frame; displacements are returned in
    final-frame pixels (so they scale with the resize factor and a
    horizontal flip negates dx). Seeds are tracked in the whole raw frame,
    so points that leave the crop but stay in the video remain valid.

    Trajectory length ``traj_len`` and ``tubelet_size`` come with the
    sample from :class:`DecordDecodeWithTrajectoryFrames`, the one place
    that sets them in a pipeline.

    Sources (``source=dict(type=...)``, registered in
    :data:`~mme_mmaction.registry.TRAJECTORY_SOURCES`):

    - ``'online'`` (default): OpenCV flow between the raw frames decoded by
      :class:`DecordDecodeWithTrajectoryFrames`; options ``flow`` (see
      :class:`~mme_mmaction.motion.OpticalFlow`, default
      :data:`~mme_mmaction.motion.DEFAULT_FLOW`: DIS ``ultrafast`` refined
      to half resolution)
      and ``min_flow_size`` (224).
    - ``'lucas_kanade'``: a coarse online flow refined by Lucas-Kanade at
      each tracked point: cheaper than ``'online'`` and more exact on
      textured cells (``docs/benchmarks.md``).
    - ``'stored'``: files of ``tools/data/extract_trajectories.py``
      (``format='ours'``) or the release's ``<video>_<L>.gz``
      (``format='release'``) under ``root``, named by the video's path
      below ``video_root`` (or its file name) without extension, on a grid
      of ``cell_size`` raw pixels (default 8, the extraction tool's).
    - ``'release_flow'``: the release's ``<root>/<video>/{x,y}.mp4``.

    Whatever the source, every trajectory is then checked on its first and
    last raw frames (:class:`~mme_mmaction.motion.PhotometricCheck`): one
    whose end does not look like its start (an occlusion, a lost point)
    turns invalid, and a tubelet where that holds for most trajectories
    spans a shot cut: none of its trajectories is valid.

    Required keys: ``img_shape``, ``original_shape``, ``filename``,
    ``frame_inds``, ``traj_len``, ``tubelet_size``, ``traj_frames``,
    ``traj_ends``; online also ``traj_frame_map``;
    optional ``crop_quadruple``, ``flip``, ``flip_direction``.
    Added keys: ``trajectories`` float32 (T', L, 2, Hc, Wc) per-step
    displacements (dx, dy), ``traj_valid`` bool (T', Hc, Wc), with
    Hc, Wc = final size / ``cell_size``; with the check ``traj_checks``
    dict of counts: ``tubelets``, ``cuts`` (tubelets spanning a cut),
    ``tracks`` (valid before the check) and ``ended`` (made invalid by
    it), logged per epoch by :class:`~mme_mmaction.engine.TrajectoryCheckHook`.
    Removed keys: ``traj_frames``, ``traj_ends``, ``traj_frame_map``.

    Args:
        cell_size (int): Seed spacing in final-frame pixels. Defaults to 8.
        source (dict, optional): Where trajectories come from (above).
        consistency (dict, optional): Options of
            :class:`~mme_mmaction.motion.PhotometricCheck`; None turns the
            check off. Defaults to ``dict()``: on, with its defaults.
        on_bad_input (str): ``'error'`` (default) raises on a missing or
            corrupt file, a too short video or a grid that does not match;
            ``'skip'`` logs, counts and skips the sample.
    """

    def __init__(self,
                 cell_size: int = 8,
                 source: Optional[dict] = None,
                 consistency: Optional[dict] = dict(),
                 on_bad_input: str = 'error') -> None:
        self.cell_size = cell_size
        source = source or dict(type='online')
        if source.get('type') not in TRAJECTORY_SOURCES:
            raise ValueError(
                f'Unknown trajectory source {source.get("type")!r}; choose '
                f'one of {sorted(TRAJECTORY_SOURCES.module_dict)}.')
        self.source = TRAJECTORY_SOURCES.build(source)
        self.consistency = (None if consistency is None else
                            PhotometricCheck(**consistency))
        self._set_policy(on_bad_input)

    def _raw_seeds(self, results: Dict) -> Tuple[np.ndarray, np.ndarray]:
        """The final frame's seeds in raw pixels, and raw-to-final factors.

        Returns:
            tuple[np.ndarray, np.ndarray]: seeds (P, 2) as (x, y) and the
            (2,) factors turning raw steps into final steps, flip included
            (negative on a flipped axis).
        """
        final_h, final_w = results['img_shape']
        final_size = np.array([final_w, final_h], dtype=np.float64)
        orig_h, orig_w = results['original_shape']
        qx, qy = results.get('crop_quadruple', (0., 0.))[:2]
        to_final = crop_scale(results)
        seeds = cell_centres(final_h, final_w, self.cell_size)
        sign = np.ones(2)
        if results.get('flip', False):
            axis = 0 if results.get('flip_direction',
                                    'horizontal') == 'horizontal' else 1
            seeds[:, axis] = final_size[axis] - seeds[:, axis]
            sign[axis] = -1
        seeds = np.array([qx * orig_w, qy * orig_h]) + seeds / to_final
        return seeds, sign * to_final

    def _transform(self, results: Dict) -> Dict:
        if 'lazy' in results:
            raise NotImplementedError(
                'TrajectoryTarget needs non-lazy geometric transforms.')
        missing = {'traj_len', 'tubelet_size'} - set(results)
        if missing:
            raise KeyError(
                f'{results.get("filename")}: TrajectoryTarget needs '
                f'{sorted(missing)} in the sample: decode with '
                'DecordDecodeWithTrajectoryFrames, which sets them.')
        seeds, to_final = self._raw_seeds(results)
        steps, valid = self.source.read(results, seeds)
        frames = results.pop('traj_frames')
        ends = results.pop('traj_ends')
        results.pop('traj_frame_map', None)
        if self.consistency is not None:
            valid, results['traj_checks'] = self._check(
                frames[ends], seeds, steps, valid,
                self.cell_size / np.abs(to_final))
        grid_h = results['img_shape'][0] // self.cell_size
        # Raw-frame steps of the P = Hc * Wc seeds -> final-frame pixels.
        results['trajectories'] = rearrange(
            steps * to_final, 't step (h w) c -> t step c h w',
            h=grid_h).astype(np.float32)
        results['traj_valid'] = rearrange(valid, 't (h w) -> t h w', h=grid_h)
        return results

    def _check(self, ends: np.ndarray, seeds: np.ndarray, steps: np.ndarray,
               valid: np.ndarray,
               extent: np.ndarray) -> Tuple[np.ndarray, Dict[str, int]]:
        """Apply the photometric check to every tubelet.

        Args:
            ends (np.ndarray): (T', 2, H, W) grey first and last raw frames.
            seeds (np.ndarray): (P, 2) raw-pixel start points.
            steps (np.ndarray): (T', L, P, 2) raw-pixel steps.
            valid (np.ndarray): (T', P) bool validity.
            extent (np.ndarray): (2,) a cell's size in raw pixels.

        Returns:
            tuple[np.ndarray, dict]: (T', P) validity after the check, and
            its counts (``traj_checks``).
        """
        checked, cuts = zip(*(self.consistency(
            first, last, seeds, seeds + tubelet_steps.sum(axis=0),
            tubelet_valid, extent) for (first, last), tubelet_steps,
            tubelet_valid in zip(ends, steps, valid)))
        checked = np.stack(checked)
        return checked, dict(
            tubelets=len(valid), cuts=int(sum(cuts)),
            tracks=int(valid.sum()), ended=int((valid & ~checked).sum()))

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(cell_size={self.cell_size}, '
                f'source={self.source!r}, '
                f'consistency={self.consistency!r}, '
                f'on_bad_input={self.on_bad_input!r})')

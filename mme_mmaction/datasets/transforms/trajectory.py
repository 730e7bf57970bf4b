"""Dense trajectory targets computed online with OpenCV optical flow."""
from typing import Dict, Optional, Tuple

import cv2
import numpy as np
from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from mme_mmaction.motion import OpticalFlow, cell_centres, track_points


@TRANSFORMS.register_module()
class TrajectoryTarget(BaseTransform):
    """Track the cell centres of the final frame through the raw frames.

    Place it after every geometric transform (``MultiScaleCrop``,
    ``RandomResizedCrop``, ``Resize``, ``CenterCrop``, ``Flip``): those only
    touch ``imgs`` and record ``crop_quadruple``, ``img_shape``, ``flip``
    and ``flip_direction``, from which the seeds' positions in the raw
    frames are recovered (METHOD §4.3). Seeds sit at the centres of the
    ``cell_size`` cells of the final frame; displacements are returned in
    final-frame pixels (so they scale with the resize factor and a
    horizontal flip negates dx).

    Flow is computed on the whole raw frame, so points that leave the crop
    but stay in the video remain valid. It is computed at the final frame's
    scale, but with the shorter side at least ``min_flow_size`` (flow on
    small frames loses small objects) and never above the native
    resolution.

    Required keys: ``traj_frames``, ``traj_frame_map`` (from
    :class:`DecordDecodeWithTrajectoryFrames`), ``img_shape``,
    ``original_shape``; optional ``crop_quadruple``, ``flip``,
    ``flip_direction``.
    Added keys: ``trajectories`` float32 (T', L, 2, Hc, Wc) per-step
    displacements (dx, dy), ``traj_valid`` bool (T', Hc, Wc), with
    Hc, Wc = final size / ``cell_size``.
    Removed keys: ``traj_frames``, ``traj_frame_map``.

    Args:
        traj_len (int): Steps per trajectory (L). Defaults to 4.
        cell_size (int): Seed spacing in final-frame pixels. Defaults to 8.
        flow (dict): Options of :class:`~mme_mmaction.motion.OpticalFlow`.
            Defaults to DIS with the ``'medium'`` preset.
        min_flow_size (int): Smallest shorter side of the frames the flow is
            computed on. Defaults to 224.
    """

    def __init__(self,
                 traj_len: int = 4,
                 cell_size: int = 8,
                 flow: Optional[dict] = None,
                 min_flow_size: int = 224) -> None:
        self.traj_len = traj_len
        self.cell_size = cell_size
        self.min_flow_size = min_flow_size
        self.flow = OpticalFlow(**(flow or dict(method='dis',
                                                preset='medium')))

    def _geometry(self, results: Dict, raw_shape: Tuple[int, int]
                  ) -> Tuple[np.ndarray, np.ndarray, Tuple[int, int]]:
        """Where the final frame's seeds are in the frames flow runs on.

        Args:
            results (dict): With ``img_shape``, ``original_shape`` and the
                optional ``crop_quadruple``, ``flip``, ``flip_direction``.
            raw_shape (tuple[int, int]): (H, W) of the decoded frames.

        Returns:
            tuple: seeds (P, 2) as (x, y) in the flow frames, the (2,)
            factors from flow-frame steps to final-frame steps (sign
            included), and the flow frames' (W, H).
        """
        final_h, final_w = results['img_shape']
        final_size = np.array([final_w, final_h], dtype=np.float64)
        orig_h, orig_w = results['original_shape']
        qx, qy, qw, qh = results.get('crop_quadruple', (0., 0., 1., 1.))
        origin = np.array([qx * orig_w, qy * orig_h])
        to_final = final_size / np.array([qw * orig_w, qh * orig_h])

        raw_size = np.array(raw_shape[::-1], dtype=np.float64)
        scale = np.maximum(to_final, self.min_flow_size / raw_size.min())
        flow_size = np.round(raw_size * np.minimum(scale, 1.)).astype(int)
        to_flow = flow_size / raw_size

        seeds = cell_centres(final_h, final_w, self.cell_size)
        sign = np.ones(2)
        if results.get('flip', False):
            axis = 0 if results.get('flip_direction',
                                    'horizontal') == 'horizontal' else 1
            seeds[:, axis] = final_size[axis] - seeds[:, axis]
            sign[axis] = -1
        seeds = (origin + seeds / to_final) * to_flow
        return seeds, sign * to_final / to_flow, tuple(flow_size)

    def transform(self, results: Dict) -> Dict:
        """Compute the targets; see the class docstring for the keys."""
        if 'lazy' in results:
            raise NotImplementedError(
                'TrajectoryTarget needs non-lazy geometric transforms.')
        frames = results.pop('traj_frames')
        frame_map = results.pop('traj_frame_map')
        if frame_map.shape[1] != self.traj_len + 1:
            raise ValueError(
                f'{results.get("filename")}: frames were decoded for '
                f'traj_len={frame_map.shape[1] - 1}, but TrajectoryTarget '
                f'has traj_len={self.traj_len}.')
        seeds, to_final, flow_size = self._geometry(results, frames.shape[1:])
        if flow_size != frames.shape[:0:-1]:
            frames = [
                cv2.resize(f, flow_size, interpolation=cv2.INTER_AREA)
                for f in frames
            ]
        flows = {}
        chains = [list(zip(c[:-1], c[1:])) for c in frame_map.tolist()]
        for a, b in {pair for chain in chains for pair in chain}:
            flows[a, b] = self.flow(frames[a], frames[b])

        final_h, final_w = results['img_shape']
        grid = (final_h // self.cell_size, final_w // self.cell_size)
        trajectories, valid = [], []
        for chain in chains:
            steps, valid_t = track_points([flows[p] for p in chain], seeds)
            # (L, P, 2) -> (L, 2, Hc, Wc)
            steps = (steps * to_final).reshape(self.traj_len, *grid, 2)
            trajectories.append(steps.transpose(0, 3, 1, 2))
            valid.append(valid_t.reshape(grid))
        results['trajectories'] = np.stack(trajectories).astype(np.float32)
        results['traj_valid'] = np.stack(valid)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(traj_len={self.traj_len}, '
                f'cell_size={self.cell_size}, flow={self.flow!r}, '
                f'min_flow_size={self.min_flow_size})')

"""On-disk formats of dense trajectories and optical flow (docs/method.md §4).

Three formats, each with a writer and a reader:

* ours: one memory-mappable float16 ``<stem>.npy`` per video plus a
  dataset-level ``manifest.json``;
* the release's trajectory files ``<video>_<L>.gz`` (gzip pickles);
* the release's flow videos ``x.mp4`` / ``y.mp4`` (8-bit grey).

Trajectories are always returned in our layout: per-step displacements
(dx, dy) in pixels of the seeds at the centres of the 8x8 cells of the native
frame, ``(T_avail, L, 2, Hg, Wg)`` for every raw start frame, with a bool
``(T_avail, Hg, Wg)`` validity; invalid seeds have all-zero displacements.
"""
from .atomic import atomic_write, temporary_path, temporary_writer
from .ours import (TrajectoryReader, read_manifest, write_manifest,
                   write_trajectories)
from .release_flow import (ReleaseFlowReader, dequantize_flow, quantize_flow,
                           write_release_flow)
from .release_trajectories import (read_release_trajectories,
                                   write_release_trajectories)

__all__ = [
    'atomic_write', 'ReleaseFlowReader', 'TrajectoryReader', 'dequantize_flow',
    'quantize_flow', 'read_manifest', 'read_release_trajectories',
    'write_manifest', 'write_release_flow', 'write_release_trajectories',
    'temporary_path', 'temporary_writer', 'write_trajectories'
]

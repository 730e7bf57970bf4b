"""MMAction2's visualisation hook, working for 3D recognizers' clips."""
from typing import Sequence

from mmaction.engine.hooks import VisualizationHook
from mmaction.registry import HOOKS
from mmaction.structures import ActionDataSample


@HOOKS.register_module()
class ClipVisualizationHook(VisualizationHook):
    """``VisualizationHook`` that draws what MMAction2 1.2.0's cannot.

    MMAction2 1.2.0's hook fails twice on its way to ``ActionVisualizer``:
    it expects every sample as (C, T, H, W), but 3D recognizers' samples
    are (num_clips, C, T, H, W); and it passes ``show``, which the
    visualizer calls ``show_frames``. This one draws the first clip of such
    samples and passes ``show_frames``. Same arguments (``enable``,
    ``interval``, ``show``, ``out_dir``, ``wait_time``), which
    ``tools/test.py``'s ``--show``, ``--show-dir``, ``--interval`` and
    ``--wait-time`` set.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.draw_args['show_frames'] = self.draw_args.pop('show')

    def _draw_samples(self,
                      batch_idx: int,
                      data_batch: dict,
                      data_samples: Sequence[ActionDataSample],
                      step: int = 0) -> None:
        clips = [
            video[0] if video.dim() == 5 else video
            for video in data_batch['inputs']
        ]
        super()._draw_samples(batch_idx, dict(data_batch, inputs=clips),
                              data_samples, step)

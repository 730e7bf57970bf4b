"""Clips from one part of each video's time line."""
from typing import Dict

from mmaction.registry import TRANSFORMS
from mmcv.transforms import BaseTransform

from .bad_input import BadInputError


@TRANSFORMS.register_module()
class TimeRange(BaseTransform):
    """Sample clips only from frames ``[start, end)`` of each video, as
    fractions of its length; e.g. training clips from the first 70% and
    evaluation clips from the rest, so that no frame is in both.

    Goes between the decoder's init step (which sets ``total_frames``) and
    ``SampleFrames``: it moves ``start_index`` to the range's first frame
    and sets ``total_frames`` to the range's length, which ``SampleFrames``
    and the decoders respect. Frame ``i`` of a video of ``n`` is in the
    range when ``int(start * n) <= i < int(end * n)``, so ranges that meet
    share no frame.

    Args:
        start (float): First fraction of the video, in [0, 1).
        end (float): End fraction (excluded), in (start, 1].

    Raises:
        ValueError: If not ``0 <= start < end <= 1``.
    """

    def __init__(self, start: float = 0., end: float = 1.) -> None:
        if not 0 <= start < end <= 1:
            raise ValueError(f'TimeRange needs 0 <= start < end <= 1, got '
                             f'start={start}, end={end}.')
        self.start = start
        self.end = end

    def transform(self, results: Dict) -> Dict:
        """Restrict ``start_index`` and ``total_frames`` to the range.

        Raises:
            BadInputError: If the range holds no frame of the video.
        """
        total = results['total_frames']
        first, last = int(self.start * total), int(self.end * total)
        if last <= first:
            raise BadInputError(
                f'{results.get("filename", "<unknown video>")}: {total} '
                f'frames leave none in TimeRange({self.start}, {self.end}).')
        results['start_index'] = results.get('start_index', 0) + first
        results['total_frames'] = last - first
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(start={self.start}, end={self.end})'

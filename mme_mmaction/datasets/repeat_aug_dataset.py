"""MMAction2's repeated-augmentation dataset with checked list and videos."""
from typing import Callable, List, Union

from mmaction.datasets import RepeatAugDataset
from mmaction.datasets.repeat_aug_dataset import get_type
from mmaction.registry import DATASETS
from mmaction.utils import ConfigType

from .video_list import CheckedVideoDataset

_STEPS = ('CheckedDecordInit', 'CheckedDecordDecode')


@DATASETS.register_module()
class CheckedRepeatAugDataset(RepeatAugDataset, CheckedVideoDataset):
    """``RepeatAugDataset`` whose list file is read, and videos open and
    decode, with errors that name the file.

    MMAction2's dataset decodes each video once for all its repeats, calling
    the first three transforms itself, and accepts only ``DecordInit`` and
    ``DecordDecode`` there, whose errors name no file. This one takes
    ``CheckedDecordInit`` and ``CheckedDecordDecode`` instead and is
    otherwise MMAction2's. Their ``on_bad_input`` must stay ``'error'``:
    MMAction2's loading cannot skip a sample. The list file is read as by
    ``CheckedVideoDataset``.

    Args:
        ann_file (str): Path to the annotation file.
        pipeline (list): ``CheckedDecordInit``, a frame sampler,
            ``CheckedDecordDecode``, then any transforms.
        data_prefix (dict): Where the videos are. Defaults to
            ``dict(video='')``.
        num_repeats (int): Augmented copies of each video. Defaults to 4.
        sample_once (bool): The same frames for all copies. Defaults to
            False.
        **kwargs: Other arguments of ``CheckedVideoDataset``.
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: List[Union[dict, Callable]],
                 data_prefix: ConfigType = dict(video=''),
                 num_repeats: int = 4,
                 sample_once: bool = False,
                 **kwargs) -> None:
        steps = (get_type(pipeline[0]), get_type(pipeline[2]))
        if steps != _STEPS:
            raise ValueError(f'{type(self).__name__} needs {_STEPS[0]} and '
                             f'{_STEPS[1]} as its first and third '
                             f'transforms, got {steps}.')
        policies = [getattr(step, 'on_bad_input', None) or
                    (step.get('on_bad_input', 'error')
                     if isinstance(step, dict) else 'error')
                    for step in (pipeline[0], pipeline[2])]
        if policies != ['error', 'error']:
            raise ValueError(f'{type(self).__name__} cannot skip samples: '
                             f'set on_bad_input=\'error\' on {_STEPS[0]} '
                             f'and {_STEPS[1]}.')
        # RepeatAugDataset.__init__ would refuse the checked transforms.
        CheckedVideoDataset.__init__(
            self, ann_file, pipeline=pipeline, data_prefix=data_prefix,
            test_mode=False, **kwargs)
        self.num_repeats = num_repeats
        self.sample_once = sample_once

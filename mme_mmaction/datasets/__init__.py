from .repeat_aug_dataset import CheckedRepeatAugDataset  # noqa: F401
from .transforms import *  # noqa: F401,F403
from .video_list import (CheckedVideoDataset, VideoListEntry,  # noqa: F401
                         read_video_list)

from .repeat_aug_dataset import CheckedRepeatAugDataset  # noqa: F401
from .transforms import *  # noqa: F401,F403

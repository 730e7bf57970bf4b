from pathlib import Path

import pytest
from mmengine.config import Config

from tool_modules import small_toy_dataset

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='package')
def toy_cfg(tmp_path_factory):
    """The toy MME config on a 9-video toy dataset."""
    data = small_toy_dataset(tmp_path_factory.mktemp('toy'))
    cfg = Config.fromfile(str(ROOT / 'configs/mme/vit-tiny_toy.py'))
    cfg.train_dataloader.dataset.update(ann_file=f'{data}/train_list.txt',
                                        data_prefix=dict(video=str(data)))
    return cfg

from pathlib import Path

import pytest
from mmengine.config import Config

from tool_modules import small_toy_dataset

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='package')
def toy_data(tmp_path_factory):
    """9 training and 9 validation toy videos, one per class each."""
    return small_toy_dataset(tmp_path_factory.mktemp('toy'))


@pytest.fixture(scope='package')
def toy_cfg(toy_data):
    """The toy MME config on :func:`toy_data`."""
    data = toy_data
    cfg = Config.fromfile(str(ROOT / 'configs/mme/vit-tiny_toy.py'))
    cfg.train_dataloader.dataset.update(ann_file=f'{data}/train_list.txt',
                                        data_prefix=dict(video=str(data)))
    return cfg


@pytest.fixture(scope='package')
def toy_recognition_cfg(toy_data):
    """The toy fine-tuning config on :func:`toy_data` (val = test here)."""
    cfg = Config.fromfile(
        str(ROOT / 'configs/recognition/vit-tiny_mme-pre_toy.py'))
    for split, listing in (('train', 'train'), ('val', 'val'),
                           ('test', 'val')):
        cfg[f'{split}_dataloader'].dataset.update(
            ann_file=f'{toy_data}/{listing}_list.txt',
            data_prefix=dict(video=str(toy_data)))
    return cfg

"""The clip store keeps what the pipeline makes before the mask, once."""
import os

import numpy as np
import pytest
import torch
from mmengine.dataset import Compose

from mme_mmaction.analysis import seeded_samples
from mme_mmaction.analysis.clip_store import ClipStore, split_pipeline


def tail(cfg):
    pipeline = cfg.train_dataloader.dataset.pipeline
    return Compose(pipeline[len(split_pipeline(pipeline)):])


def test_stored_clips_are_the_pipelines_own(toy_cfg, tmp_path):
    store = ClipStore.build(toy_cfg, str(tmp_path / 'store'), 5, seed=3)
    assert len(store) == 5
    # The first seeded draw through the whole pipeline is the first stored
    # clip: same frames and trajectories. (Later draws differ: the full
    # pipeline's masks use numpy's generator, as sampling and crops do.)
    full = next(seeded_samples(toy_cfg, 5, seed=3))
    stored = store.sample(0, tail(toy_cfg))
    assert torch.equal(stored['inputs'], full['inputs'])
    for key in ('trajectories', 'traj_valid'):
        np.testing.assert_array_equal(
            np.asarray(stored['data_samples'].get(key)),
            np.asarray(full['data_samples'].get(key)))
    assert stored['data_samples'].mask.sum() == full['data_samples'].mask.sum()
    assert len({store.arrays['imgs'][i].tobytes() for i in range(5)}) == 5
    # A store is read, not written, when it exists for the same draws.
    meta = tmp_path / 'store' / 'store.json'
    before = os.stat(meta).st_mtime_ns
    ClipStore.build(toy_cfg, str(tmp_path / 'store'), 5, seed=3)
    assert os.stat(meta).st_mtime_ns == before
    # Another seed draws other clips into the same folder.
    first = np.array(store.arrays['imgs'])
    other = ClipStore.build(toy_cfg, str(tmp_path / 'store'), 5, seed=4)
    assert other.meta['seed'] == 4
    assert not np.array_equal(np.asarray(other.arrays['imgs']), first)


def test_an_unfinished_store_is_not_opened(toy_cfg, tmp_path):
    ClipStore.build(toy_cfg, str(tmp_path), 2, seed=0)
    os.remove(tmp_path / 'store.json')  # as if killed before the end
    with pytest.raises(FileNotFoundError, match='no complete clip store'):
        ClipStore(str(tmp_path))

"""In-process pre-training from a clip store: reproducible, in the
config's precision, stopped by a non-finite loss."""
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose

from mme_mmaction.analysis.clip_store import ClipStore, split_pipeline
from mme_mmaction.analysis.in_process import (batches, pretrain,
                                              warmup_cosine)
from mme_mmaction.engine.optimizers.mixed_precision_optim_wrapper import \
    cpu_supports_bf16


def test_batches_pass_over_every_clip_once_per_pass():
    drawn = [i for batch in batches(10, 4, 5, seed=0) for i in batch]
    assert len(drawn) == 20
    assert sorted(drawn[:10]) == list(range(10))
    assert sorted(drawn[10:]) == list(range(10))
    assert drawn == [i for b in batches(10, 4, 5, seed=0) for i in b]


def test_warmup_cosine_by_hand():
    factor = warmup_cosine(30)  # warm-up of 2 steps
    assert [factor(0), factor(1)] == [0.5, 1.0]
    assert factor(2) == pytest.approx(1.0)
    assert factor(16) == pytest.approx(0.525)  # half-way: (1 + 0.05) / 2
    assert factor(30) == pytest.approx(0.05)


def tiny(cfg: Config) -> Config:
    cfg = Config(cfg.to_dict())
    cfg.model.backbone.arch.depth = 1
    cfg.train_dataloader.batch_size = 2
    return cfg


def test_runs_are_reproducible_and_use_the_configs_precision(toy_cfg,
                                                             tmp_path):
    cfg = tiny(toy_cfg)
    store = ClipStore.build(cfg, str(tmp_path), 4, seed=0)
    pipeline = cfg.train_dataloader.dataset.pipeline
    tail = Compose(pipeline[len(split_pipeline(pipeline)):])
    lines = []
    runs = [pretrain(cfg, lambda i: store.sample(i, tail), len(store), 4,
                     seed=1, name='toy', report_every=2, log=lines.append)
            for _ in range(2)]
    assert runs[0]['losses'] == runs[1]['losses']
    assert set(runs[0]['losses']) >= {'loss', 'loss_hog', 'loss_traj'}
    assert len(runs[0]['losses']['loss']) == 4
    assert lines[0].startswith('toy: step 2/4, loss ') and 'ETA' in lines[0]
    weights = [p for p in runs[0]['model'].parameters()]
    assert all(torch.isfinite(p).all() for p in weights)
    # The toy config's wrapper: bf16 autocast where the CPU has it.
    assert runs[0]['precision'] == ('bfloat16' if cpu_supports_bf16() else
                                    'float32')


def test_a_non_finite_loss_stops_the_run(toy_cfg, tmp_path):
    cfg = tiny(toy_cfg)
    cfg.model.data_preprocessor.std = [0., 0., 0.]  # inputs become inf
    store = ClipStore.build(cfg, str(tmp_path), 2, seed=0)
    pipeline = cfg.train_dataloader.dataset.pipeline
    tail = Compose(pipeline[len(split_pipeline(pipeline)):])
    with pytest.raises(FloatingPointError, match='toy: loss nan at step 0'):
        pretrain(cfg, lambda i: store.sample(i, tail), len(store), 3, seed=0,
                 name='toy')

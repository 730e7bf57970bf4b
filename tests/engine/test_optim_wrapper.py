"""Tests of :class:`MixedPrecisionOptimWrapper`.

Without an accelerator it is an ``OptimWrapper`` that autocasts the forward
pass to bfloat16 on CPUs with bf16 instructions and trains in fp32
elsewhere; where mmengine's ``AmpOptimWrapper`` runs (CUDA, NPU, ...) its
constructor returns that. The CPU tests hide CUDA so that they test the
same path on any host.
"""
import contextlib
import logging

import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MMLogger
from mmengine.optim import AmpOptimWrapper, OptimWrapper, build_optim_wrapper
from torch import nn

from mme_mmaction.engine import MixedPrecisionOptimWrapper
from mme_mmaction.engine.optimizers import \
    mixed_precision_optim_wrapper as wrapper_module

CFG = dict(
    type='MixedPrecisionOptimWrapper', optimizer=dict(type='AdamW', lr=0.1))


@pytest.fixture
def no_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)


@pytest.fixture
def with_bf16(monkeypatch):
    # bf16 autocast runs on any CPU (emulated where oneDNN has no bf16
    # instructions): the path is tested everywhere, only its speed differs.
    monkeypatch.setattr(wrapper_module, 'cpu_supports_bf16', lambda: True)


@pytest.fixture
def no_bf16(monkeypatch):
    monkeypatch.setattr(wrapper_module, 'cpu_supports_bf16', lambda: False)


def _model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Linear(8, 1)


def _regression_data():
    generator = torch.Generator().manual_seed(1)
    inputs = torch.randn(64, 8, generator=generator)
    targets = inputs @ torch.randn(8, 1, generator=generator) + 0.5
    return inputs, targets


def _train(wrapper, model, steps: int = 20):
    inputs, targets = _regression_data()
    losses = []
    for _ in range(steps):
        with wrapper.optim_context(model):
            loss = F.mse_loss(model(inputs).float(), targets)
        wrapper.update_params(loss)
        losses.append(loss.item())
    return losses


def test_build_without_cuda_gives_mixed_precision_wrapper(no_cuda):
    model = _model()
    wrapper = build_optim_wrapper(model, CFG)
    assert type(wrapper) is MixedPrecisionOptimWrapper
    assert isinstance(wrapper, OptimWrapper)
    assert isinstance(wrapper.optimizer, torch.optim.AdamW)
    assert wrapper.param_groups[0]['lr'] == pytest.approx(0.1)


def test_build_with_cuda_gives_amp_wrapper(monkeypatch):
    """On CUDA the constructor hands over to mmengine's AmpOptimWrapper.

    Simulated on any host: only the availability checks are patched;
    constructing the GradScaler needs no GPU.
    """
    from mmengine.optim.optimizer import amp_optimizer_wrapper
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(amp_optimizer_wrapper, 'is_cuda_available',
                        lambda: True)
    model = _model()
    wrapper = build_optim_wrapper(model, dict(CFG, dtype='float16'))
    assert type(wrapper) is AmpOptimWrapper
    assert wrapper.cast_dtype == torch.float16
    assert isinstance(wrapper.optimizer, torch.optim.AdamW)
    # Without a dtype, mmengine's default (float16).
    default = build_optim_wrapper(model, CFG)
    assert type(default) is AmpOptimWrapper
    assert default.cast_dtype is None


def test_build_on_other_accelerators_gives_amp_wrapper(no_cuda, monkeypatch):
    """Wherever mmengine's AmpOptimWrapper runs, e.g. an Ascend NPU (whose
    presence is simulated), it is what this builds."""
    from mmengine.optim.optimizer import amp_optimizer_wrapper
    monkeypatch.setattr(wrapper_module, 'is_npu_available', lambda: True)
    monkeypatch.setattr(amp_optimizer_wrapper, 'is_npu_available',
                        lambda: True)
    wrapper = build_optim_wrapper(_model(), dict(CFG, dtype='bfloat16'))
    assert type(wrapper) is AmpOptimWrapper
    assert wrapper.cast_dtype == torch.bfloat16


def test_amp_optim_wrapper_stays_mmengines(no_cuda):
    """The plugin registers its wrapper under its own name only: in the
    ``mmaction`` scope, as in mmengine's, ``AmpOptimWrapper`` is mmengine's
    and still asserts an accelerator."""
    from mmaction.registry import OPTIM_WRAPPERS
    assert OPTIM_WRAPPERS.get('AmpOptimWrapper') is AmpOptimWrapper
    assert OPTIM_WRAPPERS.get('MixedPrecisionOptimWrapper') is \
        MixedPrecisionOptimWrapper
    optimizer = torch.optim.AdamW(_model().parameters(), lr=0.1)
    with pytest.raises(AssertionError, match='only available training on'):
        OPTIM_WRAPPERS.build(
            dict(type='AmpOptimWrapper', optimizer=optimizer))


def test_forward_is_bf16_inside_context_only(no_cuda, with_bf16):
    model = _model()
    wrapper = build_optim_wrapper(model, CFG)
    assert wrapper.cast_dtype == torch.bfloat16
    inputs = torch.randn(4, 8)
    with wrapper.optim_context(model):
        assert model(inputs).dtype == torch.bfloat16
    assert model(inputs).dtype == torch.float32
    assert model.weight.dtype == torch.float32


def test_update_params_trains_in_bf16(no_cuda, with_bf16):
    model = _model()
    wrapper = build_optim_wrapper(model, CFG)
    before = model.weight.detach().clone()
    losses = _train(wrapper, model)
    assert not torch.equal(model.weight, before)
    assert model.weight.dtype == torch.float32
    assert losses[-1] < 0.5 * losses[0]


def test_without_bf16_trains_in_fp32_and_says_so(no_cuda, no_bf16, caplog):
    logger = MMLogger.get_current_instance()
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO):
            model = _model()
            wrapper = build_optim_wrapper(model, CFG)
    finally:
        logger.removeHandler(caplog.handler)
    assert wrapper.cast_dtype is None
    assert 'no bf16' in caplog.text and 'fp32' in caplog.text
    with wrapper.optim_context(model):
        assert model(torch.randn(4, 8)).dtype == torch.float32
    losses = _train(wrapper, model)
    assert losses[-1] < 0.5 * losses[0]


def test_state_dict_round_trip(no_cuda):
    model = _model()
    wrapper = build_optim_wrapper(model, CFG)
    _train(wrapper, model, steps=2)
    state = wrapper.state_dict()

    fresh_model = _model(seed=1)
    fresh = build_optim_wrapper(
        fresh_model, dict(CFG, optimizer=dict(type='AdamW', lr=1.0)))
    assert fresh.param_groups[0]['lr'] == 1.0
    fresh.load_state_dict(state)

    assert fresh.param_groups[0]['lr'] == pytest.approx(0.1)
    for key in ('betas', 'eps', 'weight_decay'):
        assert fresh.param_groups[0][key] == wrapper.param_groups[0][key]
    loaded_state = fresh.optimizer.state_dict()['state']
    saved_state = wrapper.optimizer.state_dict()['state']
    assert loaded_state.keys() == saved_state.keys() and saved_state
    for index, values in saved_state.items():
        assert float(loaded_state[index]['step']) == 2
        for name in ('exp_avg', 'exp_avg_sq'):
            assert torch.equal(loaded_state[index][name], values[name])
    # The loaded state is live: a further step runs from it.
    _train(fresh, fresh_model, steps=1)
    assert float(fresh.optimizer.state_dict()['state'][0]['step']) == 3


def test_accumulation_skips_gradient_sync(no_cuda):
    """The base context (``no_sync`` between accumulated steps) is kept."""

    class SyncCountingLinear(nn.Linear):
        no_sync_calls = 0

        @contextlib.contextmanager
        def no_sync(self):
            SyncCountingLinear.no_sync_calls += 1
            yield

    model = SyncCountingLinear(8, 1)
    wrapper = build_optim_wrapper(model, dict(CFG, accumulative_counts=2))
    inputs, targets = _regression_data()
    calls = []
    for _ in range(2):
        with wrapper.optim_context(model):
            loss = F.mse_loss(model(inputs).float(), targets)
        calls.append(SyncCountingLinear.no_sync_calls)
        wrapper.update_params(loss)
    # Only the first (non-updating) step of the two skips the sync.
    assert calls == [1, 1]

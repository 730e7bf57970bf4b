"""Tests of the stack fixes in :mod:`mme_mmaction.compat`.

Each test fails if the fix it covers is removed or widened. What needs an
interpreter that has not imported the plugin runs in subprocesses, started
together once per module so that they overlap.
"""
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import checkpoint as mmengine_checkpoint

from mme_mmaction import compat

_TIMEOUT = 180

_IMPORT_WITHOUT_FIX = 'import mmaction.models'

_IMPORT_WITH_FIX = textwrap.dedent("""
    import mme_mmaction
    import mmaction.models
    from mmaction.models import Recognizer3D
    from mmaction.registry import MODELS
    assert MODELS.get('Recognizer3D') is Recognizer3D
    print('IMPORT-OK')
""")

# mmengine's own loader on an mmengine checkpoint, with and without the
# plugin; prints the error or the loaded message hub's statistics.
_LOAD = textwrap.dedent("""
    import sys
    if sys.argv[2] == 'plugin':
        import mme_mmaction
    from mmengine.runner.checkpoint import CheckpointLoader
    try:
        ckpt = CheckpointLoader.load_checkpoint(sys.argv[1])
    except Exception as error:
        print('REFUSED', type(error).__name__, str(error)[:200])
    else:
        hub = ckpt['message_hub']
        print('LOADED', hub['log_scalars']['train/loss'].mean())
""")


@pytest.fixture(scope='module')
def mmengine_checkpoint_file(tmp_path_factory):
    """A checkpoint holding the objects mmengine's Runner really saves."""
    hub = MessageHub.get_instance('test_compat_checkpoint')
    hub.update_scalar('train/loss', 0.5)
    hub.update_scalar('train/loss', np.float64(0.25))
    hub.update_info('iter', np.int64(30))
    checkpoint = dict(
        meta=dict(epoch=3, iter=30, seed=np.int64(7),
                  dataset_meta=dict(classes=('a', 'b'))),
        state_dict={'fc.weight': torch.arange(4.).reshape(2, 2)},
        message_hub=hub.state_dict(),
        extra=np.arange(3, dtype=np.float32))
    path = tmp_path_factory.mktemp('ckpt') / 'epoch_3.pth'
    torch.save(checkpoint, path)
    return path


@pytest.fixture(scope='module')
def snippets(mmengine_checkpoint_file):
    runs = {
        name: subprocess.Popen([sys.executable, '-c', *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
        for name, args in {
            'import_without_fix': [_IMPORT_WITHOUT_FIX],
            'import_with_fix': [_IMPORT_WITH_FIX],
            'load_without_plugin': [_LOAD, str(mmengine_checkpoint_file),
                                    'stock'],
            'load_with_plugin': [_LOAD, str(mmengine_checkpoint_file),
                                 'plugin'],
        }.items()
    }
    results = {}

    def result(name):
        if name not in results:
            out, err = runs[name].communicate(timeout=_TIMEOUT)
            results[name] = (runs[name].returncode, out, err)
        return results[name]

    yield result
    for proc in runs.values():
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


# 1. The DRN localizer missing from the mmaction2 1.2.0 wheel.


def test_mmaction_models_import_fails_without_fix(snippets):
    returncode, _, err = snippets('import_without_fix')
    if returncode == 0:
        pytest.skip('the installed mmaction2 ships localizers/drn: '
                    'the DRN stand-in is not needed')
    assert 'ModuleNotFoundError' in err and 'drn' in err


def test_mmaction_models_import_succeeds_with_fix(snippets):
    returncode, out, err = snippets('import_with_fix')
    assert returncode == 0, err[-3000:]
    assert 'IMPORT-OK' in out


def test_drn_from_a_config_raises_the_import_error_the_faq_promises():
    from mmaction.models.localizers import DRN
    from mmaction.registry import MODELS
    with pytest.raises(ImportError, match='DRN is unavailable'):
        DRN()
    with pytest.raises(ImportError, match='mmaction2 issue #2714'):
        MODELS.build(dict(type='DRN'))


# 2. mmengine checkpoints under weights_only=True.


def _check_loaded(loaded):
    assert torch.equal(loaded['state_dict']['fc.weight'],
                       torch.arange(4.).reshape(2, 2))
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.current() == pytest.approx(0.25)
    assert buffer.mean() == pytest.approx(0.375)
    assert buffer.statistics('max') == pytest.approx(0.5)
    assert loaded['meta']['seed'] == 7
    assert loaded['message_hub']['runtime_info']['iter'] == 30
    np.testing.assert_array_equal(loaded['extra'], np.arange(3))


def _verdict(snippets, name):
    """The REFUSED / LOADED line a _LOAD snippet printed."""
    returncode, out, err = snippets(name)
    assert returncode == 0, err[-3000:]
    lines = [line for line in out.splitlines()
             if line.startswith(('REFUSED', 'LOADED'))]
    assert len(lines) == 1, out[-3000:]
    return lines[0]


def test_stock_mmengine_refuses_its_own_checkpoints_on_this_torch(snippets):
    """Why the fix exists (in a process without the plugin)."""
    out = _verdict(snippets, 'load_without_plugin')
    if out.startswith('LOADED'):
        pytest.skip(f'torch {torch.__version__} loads full pickles by '
                    'default: the checkpoint fix is not needed')
    assert out.startswith('REFUSED') and 'eights' in out


def test_with_the_plugin_mmengine_loads_them_weights_only(snippets):
    assert _verdict(snippets, 'load_with_plugin').split() == [
        'LOADED', '0.375']


@pytest.mark.parametrize('load', [
    lambda path: mmengine_checkpoint._load_checkpoint(str(path)),
    lambda path: mmengine_checkpoint.CheckpointLoader.load_checkpoint(
        str(path), map_location='cpu'),
    lambda path: torch.load(path, weights_only=True),
])
def test_loaders_keep_history_buffer_and_numpy(mmengine_checkpoint_file,
                                               load):
    _check_loaded(load(mmengine_checkpoint_file))


def test_the_allowed_getattr_reaches_history_buffer_methods_only(tmp_path):
    getattr_ = compat._history_buffer_getattr
    assert getattr_(HistoryBuffer, 'mean') is HistoryBuffer.mean
    for owner, name in ((HistoryBuffer, '_statistics_methods'),
                        (HistoryBuffer, '__subclasses__'),
                        (np.ndarray, 'tofile'), (torch, 'load')):
        with pytest.raises(Exception, match='not allowed'):
            getattr_(owner, name)


class _GetattrPayload:
    """Unpickles as ``getattr(np.ndarray, 'tofile')``."""

    def __reduce__(self):
        return getattr, (np.ndarray, 'tofile')


def test_a_getattr_other_than_history_buffers_is_refused(tmp_path):
    path = tmp_path / 'getattr.pth'
    torch.save({'x': _GetattrPayload()}, path)
    with pytest.raises(Exception, match='not allowed'):
        torch.load(path, weights_only=True)


def test_full_unpickling_is_not_enabled_process_wide():
    """No loader for every path, and torch's default left as it is."""
    loader = mmengine_checkpoint.CheckpointLoader._get_checkpoint_loader(
        'model.pth')
    assert loader is mmengine_checkpoint.load_from_local
    assert loader.__module__ == 'mmengine.runner.checkpoint'


# 3. bf16 scores in MMAction2's heads; other dtypes untouched.


def _head_and_samples():
    from mmaction.registry import MODELS
    from mmaction.structures import ActionDataSample
    torch.manual_seed(0)
    head = MODELS.build(dict(type='TimeSformerHead', num_classes=4,
                             in_channels=8))
    samples = [ActionDataSample().set_gt_label(i) for i in (1, 3)]
    return head, samples


def test_recognition_heads_take_bf16_scores():
    from mmaction.models.heads.base import BaseHead
    head, samples = _head_and_samples()
    scores = torch.randn(2, 4).to(torch.bfloat16)
    with pytest.raises(TypeError, match='BFloat16'):
        BaseHead.loss_by_feat.__wrapped__(head, scores, samples)
    losses = head.loss_by_feat(scores, samples)
    expected = BaseHead.loss_by_feat.__wrapped__(head, scores.float(),
                                                 samples)
    assert losses['loss_cls'].dtype == torch.float32
    assert torch.equal(losses['loss_cls'], expected['loss_cls'])


@pytest.mark.parametrize('dtype', [torch.float32, torch.float16])
def test_other_dtypes_reach_the_stock_loss_unchanged(dtype):
    from mmaction.models.heads.base import BaseHead
    head, samples = _head_and_samples()
    scores = torch.randn(2, 4).to(dtype)
    losses = head.loss_by_feat(scores, samples)
    stock = BaseHead.loss_by_feat.__wrapped__(head, scores, samples)
    assert losses['loss_cls'].dtype == stock['loss_cls'].dtype == dtype
    assert set(losses) == set(stock)
    for key in losses:
        assert torch.equal(torch.as_tensor(losses[key]),
                           torch.as_tensor(stock[key])), key


# 4. The mmcv-lite warning filter is scoped to that one warning.


def test_only_mmcv_lites_deformable_attention_warning_is_silenced():
    message = ('Fail to import ``MultiScaleDeformableAttention`` from '
               '``mmcv.ops.multi_scale_deform_attn``, You should install '
               '``mmcv`` rather than ``mmcv-lite`` if you need this module. ')
    with warnings.catch_warnings(record=True) as caught:
        # pytest restores the filters of collection time for each test.
        compat._quiet_mmcv_lite()
        for module, line in (('mmcv.cnn.bricks.transformer', 1),
                             ('my_package.models', 2)):
            warnings.warn_explicit(message, UserWarning, 'x.py', line,
                                   module=module)
        warnings.warn_explicit('Fail to import something else',
                               UserWarning, 'x.py', 3,
                               module='mmcv.cnn.bricks.transformer')
    assert [w.lineno for w in caught] == [2, 3]


# 5. Idempotence.


def test_apply_is_idempotent(monkeypatch):
    from mmaction.models.heads.base import BaseHead
    loss_by_feat = BaseHead.loss_by_feat
    monkeypatch.setattr(BaseHead, 'loss_by_feat', loss_by_feat)
    monkeypatch.setattr(warnings, 'filters', list(warnings.filters))
    compat._quiet_mmcv_lite()
    filters = list(warnings.filters)
    compat.apply()
    # Also past the module-level flag: each fix guards itself.
    monkeypatch.setattr(compat, '_applied', False)
    compat.apply()
    compat.apply()
    assert BaseHead.loss_by_feat is loss_by_feat
    assert not hasattr(loss_by_feat.__wrapped__, '__wrapped__')
    # Re-adding an identical filter replaces it: no new entries.
    assert [f for f in warnings.filters if f not in filters] == []


def test_faq_lists_every_fix():
    from pathlib import Path
    faq = (Path(__file__).resolve().parents[1] / 'docs/faq.md').read_text()
    fixes = [name for name in vars(compat)
             if name.startswith('_') and callable(getattr(compat, name))
             and name not in ('_history_buffer_getattr', )]
    for name in fixes:
        assert f'`compat.{name}`' in faq, name


# 6. Registrations: none takes over a stock name unless documented.

# What the docs say while no registration takes over a stock name.
_NO_TAKEOVER = 'takes over no name of MMAction2 or mmengine'


def _taken_over(registries, owner='mme_mmaction'):
    """(registry, name) of each component of ``owner`` registered under a
    name that a parent registry (mmengine's, for MMAction2's) also has, so
    that the name builds ours instead in the child's scope."""
    taken = set()
    for registry in registries:
        for name, component in registry.module_dict.items():
            if not component.__module__.startswith(owner):
                continue
            parent = registry.parent
            while parent is not None and name not in parent.module_dict:
                parent = parent.parent
            if parent is not None:
                taken.add((registry.name, name))
    return taken


def _mmaction_registries():
    """MMAction2's registries, with all of MMAction2's components."""
    import importlib

    import mmaction.registry
    import mmengine.runner  # noqa: F401  (registers mmengine's components)
    from mmengine.registry import Registry
    registries = [r for r in vars(mmaction.registry).values()
                  if isinstance(r, Registry)]
    for location in {loc for r in registries for loc in r._locations}:
        # A name of ours that MMAction2 registers too would raise here.
        try:
            importlib.import_module(location)
        except ModuleNotFoundError as error:
            # MMAction2 1.2.0 gives its FUNCTION registry a location,
            # mmaction.mmengine, that does not exist.
            if error.name != location:
                raise
    return registries


def test_taken_over_finds_a_child_registration_hiding_a_parent_one():
    from mmengine.registry import Registry
    stock = Registry('optim_wrapper')
    ours = Registry('optim_wrapper', parent=stock, scope='child_of_stock')
    for name in ('AmpOptimWrapper', 'OptimWrapper'):
        stock.register_module(name=name, module=type(name, (), {}))
    for name in ('AmpOptimWrapper', 'MixedPrecisionOptimWrapper'):
        ours.register_module(name=name, module=type(
            name, (), {'__module__': 'mme_mmaction.engine'}))
    ours.register_module(name='OptimWrapper', module=type(
        'OptimWrapper', (), {'__module__': 'other_plugin'}))
    assert _taken_over([ours]) == {('optim_wrapper', 'AmpOptimWrapper')}


def test_docs_name_every_stock_name_the_plugin_takes_over():
    """compat's docstring and the FAQ's 'What importing changes' either
    name each registration that hides a stock component, or say that none
    does; both fail here if they disagree with the registries."""
    from pathlib import Path
    faq = (Path(__file__).resolve().parents[1] / 'docs/faq.md').read_text()
    section = faq.split('## What importing `mme_mmaction` changes')[1]
    section = ' '.join(section.split('\n## ')[0].split())
    docstring = ' '.join(compat.__doc__.split())
    taken = _taken_over(_mmaction_registries())
    for registry, name in sorted(taken):
        assert f'``{name}``' in docstring and f'`{name}`' in section, (
            f'our {name!r} hides the stock one in the {registry} registry: '
            'rename it, or document it in compat and docs/faq.md')
    for where, text in (('compat', docstring), ('docs/faq.md', section)):
        assert (_NO_TAKEOVER in text) == (not taken), (where, sorted(taken))

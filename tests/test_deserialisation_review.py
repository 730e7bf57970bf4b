"""Every call that turns file bytes into objects is safe or was reviewed.

The package and the tools are parsed (not grepped: a call split over lines
or aliased by an attribute still counts). A call is safe by construction
when it cannot run code: ``torch.load(..., weights_only=True)``, ``np.load``
without ``allow_pickle=True``. Every other deserialising call must be listed
in :data:`REVIEWED` with the reason it cannot run code unless the user says
so, and every file holding one must appear in docs/faq.md's list. A new
call fails this test until it is reviewed; a reviewed call that went away
fails it too, so the list stays true.
"""
import ast
from pathlib import Path
from typing import Iterator, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
FAQ = ROOT / 'docs' / 'faq.md'
# (file, call) -> why it cannot run code the user did not ask for.
REVIEWED = {
    ('mme_mmaction/motion/storage/release_trajectories.py',
     'class(pickle.Unpickler)'):
    'its find_class allows numpy arrays and plain containers only',
    ('mme_mmaction/motion/storage/release_trajectories.py', '.load'):
    'the load of that restricted unpickler',
    ('mme_mmaction/checkpoints/loading.py', 'torch.load'):
    'weights_only=False only after the user passed --trust-source',
    ('mme_mmaction/visualization/predictions.py', 'load_checkpoint'):
    "mmengine's loader: torch.load's default, weights_only=True",
    ('tools/analysis/trajectory_loss_baselines.py', 'load_checkpoint'):
    "mmengine's loader: torch.load's default, weights_only=True",
}
# Modules whose load functions unpickle (or may).
_LOADERS = {
    'pickle': {'load', 'loads', 'Unpickler'},
    'dill': {'load', 'loads', 'Unpickler'},
    'marshal': {'load', 'loads'},
    'shelve': {'open'},
    'joblib': {'load'},
    'yaml': {'load', 'load_all', 'unsafe_load', 'full_load'},
    'torch': {'load'},
    'np': {'load'},
    'numpy': {'load'},
    'pd': {'read_pickle'},
    'pandas': {'read_pickle'},
    'mmengine': {'load'},
    'fileio': {'load'},
    'CheckpointLoader': {'load_checkpoint'},
}
_BUILTINS = {'eval', 'exec', 'compile', '__import__'}
_MMENGINE_LOADERS = {'load_checkpoint', '_load_checkpoint'}


def _keyword(call: ast.Call, name: str) -> object:
    """A literal keyword argument's value, or ``'missing'`` / ``'dynamic'``."""
    for keyword in call.keywords:
        if keyword.arg == name:
            if isinstance(keyword.value, ast.Constant):
                return keyword.value.value
            return 'dynamic'
    return 'missing'


def _safe(name: str, call: ast.Call) -> bool:
    if name == 'torch.load':
        return _keyword(call, 'weights_only') is True
    if name in ('np.load', 'numpy.load'):
        return _keyword(call, 'allow_pickle') in (False, 'missing')
    return False


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        if isinstance(func.value, ast.Name):
            return f'{func.value.id}.{func.attr}'
        return f'.{func.attr}'
    return ''


def _is_deserialiser(name: str, call: ast.Call) -> bool:
    if name in _BUILTINS or name in _MMENGINE_LOADERS:
        return True
    module, _, attr = name.rpartition('.')
    if attr in _LOADERS.get(module, ()):
        return True
    # ``SomeUnpickler(...).load()``: a load on an unpickler built inline.
    return (name == '.load' and isinstance(call.func.value, ast.Call)
            and 'Unpickler' in ast.unparse(call.func.value.func))


def deserialising_calls() -> Iterator[Tuple[str, str, int]]:
    """(file, call, line) of every unsafe or unreviewable deserialisation."""
    files = sorted((ROOT / 'mme_mmaction').rglob('*.py')) + sorted(
        (ROOT / 'tools').rglob('*.py'))
    for path in files:
        relative = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ClassDef):
                for base in map(ast.unparse, node.bases):
                    if base.endswith('Unpickler'):
                        yield relative, f'class({base})', node.lineno
            if isinstance(node, ast.Call):
                name = _call_name(node)
                if _is_deserialiser(name, node) and not _safe(name, node):
                    yield relative, name, node.lineno


def test_every_deserialising_call_was_reviewed():
    found = {(path, name): line for path, name, line in deserialising_calls()}
    new = sorted(f'{path}:{line} {name}' for (path, name), line in
                 found.items() if (path, name) not in REVIEWED)
    assert not new, (
        'Unreviewed calls that may run code from a file: ' + '; '.join(new) +
        '. Make them safe (weights_only=True, no allow_pickle, a restricted '
        'unpickler) or gate them behind a trust flag, then list them in '
        'REVIEWED and docs/faq.md.')
    gone = sorted(f'{path} {name}' for path, name in REVIEWED
                  if (path, name) not in found)
    assert not gone, f'Reviewed calls no longer in the code: {gone}'


def test_faq_lists_every_file_that_deserialises():
    faq = FAQ.read_text()
    missing = sorted({path for path, _ in REVIEWED if path not in faq})
    assert not missing, f'docs/faq.md does not list {missing}'


@pytest.mark.parametrize('source, expected', [
    ('torch.load(p, weights_only=True)', []),
    ('torch.load(p)', ['torch.load']),
    ('torch.load(p, weights_only=flag)', ['torch.load']),
    ('np.load(p, mmap_mode="r")', []),
    ('np.load(p, allow_pickle=True)', ['np.load']),
    ('pickle.loads(b)', ['pickle.loads']),
    ('yaml.load(f)', ['yaml.load']),
    ('eval(text)', ['eval']),
    ('model.eval()', []),
    ('ast.literal_eval(text)', []),
    ('load_checkpoint(model, p)', ['load_checkpoint']),
    ('_Restricted(io.BytesIO(b)).load()', []),
    ('MyUnpickler(io.BytesIO(b)).load()', ['.load']),
])
def test_the_scan_recognises_each_kind_of_call(source, expected):
    calls = [node for node in ast.walk(ast.parse(source))
             if isinstance(node, ast.Call)]
    flagged = [_call_name(c) for c in calls
               if _is_deserialiser(_call_name(c), c)
               and not _safe(_call_name(c), c)]
    assert flagged == expected

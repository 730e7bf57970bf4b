"""Every tool that reads a config takes MMAction2's --cfg-options, as the
docs say; the exceptions are named with their reason."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = sorted(p for p in (ROOT / 'tools').rglob('*.py'))
# Helpers that add the option for the tools that call them.
_ADDERS = {'add_cfg_options', 'add_launch_args', 'add_sample_args'}
# Tools that take a config without --cfg-options, and why.
EXEMPT = {
    'tools/analysis/benchmark_encoder.py':
    '--config only picks the pre-training step it times',
}


def _takes_config(tree: ast.AST) -> bool:
    return any(
        isinstance(node, ast.Call) and node.args
        and isinstance(node.args[0], ast.Constant)
        and node.args[0].value in ('config', '--config')
        and getattr(node.func, 'attr', '') == 'add_argument'
        for node in ast.walk(tree)) or _calls(tree, {'add_sample_args'})


def _calls(tree: ast.AST, names: set) -> bool:
    return any(
        isinstance(node, ast.Call) and (getattr(node.func, 'id', None) in names
                                        or getattr(node.func, 'attr', None)
                                        in names)
        for node in ast.walk(tree))


def _takes_cfg_options(tree: ast.AST) -> bool:
    return _calls(tree, _ADDERS) or any(
        isinstance(node, ast.Constant) and node.value == '--cfg-options'
        for node in ast.walk(tree))


def test_every_tool_that_reads_a_config_takes_cfg_options():
    missing = []
    for path in TOOLS:
        relative = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text())
        if (_takes_config(tree) and not _takes_cfg_options(tree)
                and relative not in EXEMPT):
            missing.append(relative)
    assert not missing, f'take a config but not --cfg-options: {missing}'
    for relative in EXEMPT:
        assert _takes_config(ast.parse((ROOT / relative).read_text()))


@pytest.mark.parametrize('tool', ['tools/analysis/get_flops.py'])
def test_cfg_options_reach_the_config(tool):
    """A real run: the override changes what is counted."""
    counts = []
    for depth in (1, 2):
        done = subprocess.run(
            [sys.executable, tool, 'configs/mme/vit-tiny_toy.py',
             '--cfg-options', f'model.backbone.arch.depth={depth}'],
            cwd=ROOT, capture_output=True, text=True, timeout=300,
            env={'PYTHONPATH': str(ROOT), 'PATH': '/usr/bin:/bin'})
        assert done.returncode == 0, done.stderr[-2000:]
        counts.append(float(done.stdout.split('Parameters: ')[1].split()[0]))
    assert counts[1] > counts[0]

"""docs/design.md stays true: every module and folder it names exists."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / 'mme_mmaction'
# A path of the package: folders and a module, a module set in braces
# ({a,b}.py), a glob (*.py), or a folder (ending in /).
PATH = re.compile(
    r'(?<![\w/])((?:mme_mmaction/)?(?:[a-z_]+/)+'
    r'(?:\{[a-z_,\s]+\}\.py|[a-z_*]+\.py)?)(?=[\s`),:.]|$)')
# Modules named bare in the sample's path, where the folder is clear.
BARE = re.compile(r'(?<![\w/])([a-z_]+\.py)\b')


def expand(path: str):
    """The concrete paths of a name with braces."""
    match = re.search(r'\{([a-z_,\s]+)\}', path)
    if not match:
        return [path]
    return [path[:match.start()] + name.strip() + path[match.end():]
            for name in match[1].split(',')]


def package_paths(text: str):
    """Every package path the text names, relative to the package."""
    joined = re.sub(r',\s*\n\s*', ',', text)  # braces split over lines
    for found in PATH.findall(joined):
        for path in expand(found):
            yield path[len('mme_mmaction/'):] if path.startswith(
                'mme_mmaction/') else path


def exists(path: str) -> bool:
    """A path of the repository (tools/, tests/) or of the package."""
    base = ROOT if path.startswith(('tools/', 'tests/')) else PACKAGE
    return bool(list(base.glob(path.rstrip('/'))))


def test_every_named_module_and_folder_exists():
    text = (ROOT / 'docs' / 'design.md').read_text()
    paths = sorted(set(package_paths(text)))
    assert len(paths) > 20
    missing = [p for p in paths if not exists(p)]
    assert not missing, f'docs/design.md names what does not exist: {missing}'
    modules = {p.name for p in (ROOT / 'mme_mmaction').rglob('*.py')} | {
        p.name for p in (ROOT / 'tools').glob('*.py')}
    bare = sorted(set(BARE.findall(text)) - modules)
    assert not bare, f'docs/design.md names unknown modules: {bare}'


def test_the_check_sees_a_wrong_name():
    assert list(package_paths('see `models/heads/nothing.py` and '
                              'datasets/{a,b}.py')) == [
        'models/heads/nothing.py', 'datasets/a.py', 'datasets/b.py']
    assert not list(PACKAGE.glob('models/heads/nothing.py'))

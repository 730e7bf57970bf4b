"""model-index.yml and the metafiles it imports point at real configs, and
present as results only what this code measured."""
import re
from pathlib import Path
from typing import Dict, Iterator, Tuple

import yaml

ROOT = Path(__file__).resolve().parents[2]
# MMAction2's metafile fields (e.g. its TSN and VideoMAE metafiles).
METADATA = ('Batch Size', 'Epochs', 'FLOPs', 'Parameters', 'Training Data',
            'Training Resources', 'Architecture', 'Pretrained', 'Resolution')
# MMAction2's key for the original authors' numbers (its X3D metafile).
REFERENCE = 'reference top1'


def models() -> Iterator[Tuple[dict, dict]]:
    """Every model of the metafiles, with its collection."""
    index = yaml.safe_load((ROOT / 'model-index.yml').read_text())
    for metafile in index['Import']:
        meta = yaml.safe_load((ROOT / metafile).read_text())
        collection, = meta['Collections']
        for model in meta['Models']:
            yield model, collection


def readme_sections(readme: Path) -> Dict[str, str]:
    """The text of a README under its 'reported by' and 'measured here'
    headings.

    Args:
        readme (Path): A collection's README.

    Returns:
        dict: ``'paper'`` and ``'here'`` to the text of every section whose
        heading says "reported by" or "measured here".
    """
    sections = {'paper': '', 'here': ''}
    kind, fenced = None, False
    for line in readme.read_text().splitlines():
        fenced ^= line.startswith('```')
        if line.startswith('#') and not fenced:
            heading = line.lower()
            kind = ('paper' if 'reported by' in heading else
                    'here' if 'measured here' in heading else None)
        elif kind:
            sections[kind] += line + '\n'
    return sections


def mentions(text: str, number: float) -> bool:
    """Whether ``text`` has ``number`` as written, not inside another."""
    return re.search(rf'(?<![\d.]){re.escape(str(number))}(?!\d)',
                     text) is not None


def test_every_model_names_existing_configs_and_a_top1():
    names = [model['Name'] for model, _ in models()]
    assert len(names) == len(set(names)) >= 6
    for model, collection in models():
        assert (ROOT / collection['README']).is_file()
        assert (ROOT / model['Config']).is_file(), model['Name']
        assert set(METADATA) <= set(model['Metadata']), model['Name']
        assert {'Training Log', 'Weights'} <= set(model), model['Name']
        pretrain = model['Metadata']['Pretrained'].split()[0]
        assert (ROOT / pretrain).is_file(), model['Name']
        if 'Results' in model:
            top1 = model['Results'][0]['Metrics']['Top 1 Accuracy']
        else:
            top1 = float(model[REFERENCE].split()[0])
        assert isinstance(top1, float) and 0 < top1 < 100, model['Name']


def test_results_are_measured_here_and_papers_numbers_are_references():
    """A number the README gives as the paper's is never a Result."""
    for model, collection in models():
        readme = readme_sections(ROOT / collection['README'])
        name = model['Name']
        for result in model.get('Results') or []:
            for metric, value in result['Metrics'].items():
                assert not mentions(readme['paper'], value), (
                    f'{name}: {metric} {value} is the paper\'s number; give '
                    f'it as `{REFERENCE}`, not as a Result')
                assert mentions(readme['here'], value), (name, metric, value)
        if REFERENCE in model:
            reference = model[REFERENCE]
            assert collection['Paper']['URL'] in reference, name
            assert 'not reproduced here' in reference, name
            assert mentions(readme['paper'], float(reference.split()[0])), (
                name, reference)

"""model-index.yml and the metafiles it imports point at real configs."""
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
# MMAction2's metafile fields (e.g. its TSN and VideoMAE metafiles).
METADATA = ('Batch Size', 'Epochs', 'FLOPs', 'Parameters', 'Training Data',
            'Training Resources', 'Architecture', 'Pretrained', 'Resolution')


def test_every_model_names_existing_configs_and_a_top1():
    index = yaml.safe_load((ROOT / 'model-index.yml').read_text())
    models = []
    for metafile in index['Import']:
        meta = yaml.safe_load((ROOT / metafile).read_text())
        assert (ROOT / meta['Collections'][0]['README']).is_file()
        models += meta['Models']
    assert len(models) == len({m['Name'] for m in models}) >= 6
    for model in models:
        assert (ROOT / model['Config']).is_file(), model['Name']
        assert set(METADATA) <= set(model['Metadata']), model['Name']
        assert {'Training Log', 'Weights'} <= set(model), model['Name']
        pretrain = model['Metadata']['Pretrained'].split()[0]
        assert (ROOT / pretrain).is_file(), model['Name']
        top1 = model['Results'][0]['Metrics']['Top 1 Accuracy']
        assert isinstance(top1, float) and 0 < top1 < 100, model['Name']

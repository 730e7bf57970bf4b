"""The package ships what OpenMMLab's tools look for: a wheel built from
the tree, unpacked on its own, serves ``mim search`` and ``mim train``."""
import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MIM = str(Path(sys.executable).parent / 'mim')


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    """The wheel of this tree, unpacked: an install that is nothing else."""
    out = tmp_path_factory.mktemp('wheel')
    subprocess.run(
        [sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps',
         '--no-build-isolation', '-w', str(out), str(ROOT)],
        check=True, capture_output=True, timeout=300)
    wheel, = out.glob('mme_mmaction-*.whl')
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(out / 'site')
    return out / 'site'


def mim(site, *args, cwd):
    result = subprocess.run(
        [MIM, *args], cwd=cwd, capture_output=True, text=True, timeout=600,
        env=dict(os.environ, PYTHONPATH=str(site)))
    return result.returncode, result.stdout + result.stderr


def test_the_wheel_ships_configs_tools_and_model_index(site):
    mim_dir = site / 'mme_mmaction' / '.mim'
    assert (mim_dir / 'model-index.yml').is_file()
    assert (mim_dir / 'tools' / 'train.py').is_file()
    assert (mim_dir / 'tools' / 'test.py').is_file()
    shipped = {p.relative_to(mim_dir / 'configs')
               for p in (mim_dir / 'configs').rglob('*') if p.is_file()}
    tree = {p.relative_to(ROOT / 'configs')
            for p in (ROOT / 'configs').rglob('*') if p.is_file()}
    assert shipped == tree


def test_mim_search_lists_our_models(site, tmp_path):
    code, out = mim(site, 'search', 'mme_mmaction', cwd=tmp_path)
    assert code == 0, out[-3000:]
    models = yaml.safe_load((ROOT / 'configs/mme/metafile.yml').read_text())
    for model in models['Models']:
        assert f'config id: {model["Name"]}' in out
    assert 'training_resources' in out and '180.5g' in out


def test_mim_train_runs_a_config_of_ours(site, tmp_path):
    spec = importlib.util.spec_from_file_location(
        'make_toy_dataset', ROOT / 'tools/data/make_toy_dataset.py')
    toy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(toy)
    data = tmp_path / 'toy'
    toy.make_toy_dataset(str(data), num_videos_per_class=1,
                         num_val_per_class=1, num_frames=40)
    # A config name, not a path: mim finds it in the package's configs.
    code, out = mim(
        site, 'train', 'mme_mmaction', 'vit-tiny_toy.py', '--gpus', '0',
        '--work-dir', str(tmp_path / 'work'), '--seed', '0', '--cfg-options',
        f'train_dataloader.dataset.ann_file={data}/train_list.txt',
        f'train_dataloader.dataset.data_prefix.video={data}',
        'train_dataloader.batch_size=3', 'train_dataloader.num_workers=0',
        'train_cfg.max_epochs=1', 'model.backbone.arch.depth=1',
        cwd=tmp_path)
    assert code == 0, out[-3000:]
    assert str(site / 'mme_mmaction' / '.mim' / 'tools' / 'train.py') in out
    assert (tmp_path / 'work' / 'epoch_1.pth').is_file()

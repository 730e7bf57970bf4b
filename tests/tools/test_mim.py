"""The package ships what OpenMMLab's tools look for: a wheel built from
the tree, unpacked on its own, serves ``mim search`` and ``mim train``, and
its configs are bases of a user's config outside the repository."""
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
import yaml

from tool_modules import small_toy_dataset

ROOT = Path(__file__).resolve().parents[2]
MIM = str(Path(sys.executable).parent / 'mim')
NO_NETWORK = 'http://127.0.0.1:9'
# The papers' ViT-B top-1 (configs/mme/README.md, configs/mam2/README.md).
PAPERS_TOP1 = ('69.2', '81.8', '96.5', '78.0', '82.3', '71.3')


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


def run(site, *command, cwd):
    """Run a command that sees the unpacked wheel, not the repository."""
    # An unreachable proxy: nothing may download, whatever a metafile says.
    env = dict(os.environ, PYTHONPATH=str(site), HTTP_PROXY=NO_NETWORK,
               HTTPS_PROXY=NO_NETWORK, http_proxy=NO_NETWORK,
               https_proxy=NO_NETWORK)
    env.pop('NO_PROXY', None)
    env.pop('no_proxy', None)
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=600,
        env=env)
    return result.returncode, result.stdout + result.stderr


def mim(site, *args, cwd):
    return run(site, MIM, *args, cwd=cwd)


def metafile_models():
    index = yaml.safe_load((ROOT / 'model-index.yml').read_text())
    for metafile in index['Import']:
        yield from yaml.safe_load((ROOT / metafile).read_text())['Models']


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


def test_mim_search_lists_our_models_and_no_paper_number_as_a_result(
        site, tmp_path):
    code, out = mim(site, 'search', 'mme_mmaction', cwd=tmp_path)
    assert code == 0, out[-3000:]
    entries = {block.splitlines()[0]: block
               for block in out.split('config id: ')[1:]}
    models = list(metafile_models())
    assert set(entries) == {model['Name'] for model in models}
    assert 'training_resources' in out and '180.5g' in out
    for model in models:
        shown = [line.split()[-1] for line in entries[model['Name']]
                 .splitlines() if '/top_1_accuracy' in line]
        measured = [str(result['Metrics']['Top 1 Accuracy'])
                    for result in model.get('Results') or []]
        assert shown == measured, model['Name']
    # The papers' numbers are not shown; the toy transfer results are ours.
    for paper_number in PAPERS_TOP1:
        assert paper_number not in out
    assert 'measured here' in entries['vit-tiny_mme-pre-toy_toy']


def test_mim_download_fails_before_downloading_anything(site, tmp_path):
    """No weights are released, and mim says so its own way."""
    dest = tmp_path / 'checkpoints'
    for model in metafile_models():
        assert model['Weights'] is None, model['Name']
    code, out = mim(site, 'download', 'mme_mmaction', '--config',
                    'vit-tiny_mme-pre-toy_toy', '--dest', str(dest),
                    cwd=tmp_path)
    assert code != 0
    assert "but got {'weight'}" in out, out[-3000:]
    assert list(dest.iterdir()) == []


def test_mmengine_refuses_package_bases_and_no_doc_offers_them(
        site, tmp_path):
    """mmengine 0.10.7 resolves ``pkg::`` bases only for its own list."""
    user = tmp_path / 'user.py'
    user.write_text("_base_ = ['mme_mmaction::mme/vit-tiny_toy.py']\n")
    load = f'from mmengine import Config; Config.fromfile({str(user)!r})'
    code, out = run(site, sys.executable, '-c', load, cwd=tmp_path)
    assert code != 0
    assert 'mmengine does not support to load mme_mmaction config' in out
    shipped = [ROOT / 'README.md', ROOT / 'Makefile', ROOT / 'setup.py',
               *ROOT.glob('docs/**/*.md'), *ROOT.glob('configs/**/*.py'),
               *ROOT.glob('configs/**/*.md'), *ROOT.glob('configs/**/*.yml'),
               *ROOT.glob('tools/**/*.py'),
               *ROOT.glob('mme_mmaction/**/*.py')]
    for path in shipped:
        if path.is_file():
            assert 'mme_mmaction::' not in path.read_text(), path


def test_a_user_config_outside_the_repository_inherits_ours_by_path(
        site, tmp_path):
    """What docs/getting_started.md offers instead, from a fresh install."""
    base = site / 'mme_mmaction/.mim/configs/mme/vit-tiny_toy.py'
    user = tmp_path / 'user.py'
    user.write_text(f'_base_ = [{str(base)!r}]\n'
                    'model = dict(backbone=dict(arch=dict(depth=1)))\n')
    script = textwrap.dedent(f"""
        from mmengine import Config
        from mmengine.registry import init_default_scope
        cfg = Config.fromfile({str(user)!r})  # imports the plugin
        import mme_mmaction
        from mmaction.registry import MODELS
        init_default_scope(cfg.default_scope)
        model = MODELS.build(cfg.model)
        print(mme_mmaction.__file__)
        print(type(model).__name__, cfg.model.backbone.arch.embed_dims,
              cfg.model.neck.embed_dims, len(model.backbone.blocks))
    """)
    code, out = run(site, sys.executable, '-c', script, cwd=tmp_path)
    assert code == 0, out[-3000:]
    *_, origin, built = out.strip().splitlines()
    assert origin == str(site / 'mme_mmaction' / '__init__.py')
    # From the base: the toy's widths; from the user's file: one block.
    assert built.split() == ['MME', '192', '128', '1']


def test_mim_train_runs_a_config_of_ours(site, tmp_path):
    data = small_toy_dataset(tmp_path / 'toy')
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

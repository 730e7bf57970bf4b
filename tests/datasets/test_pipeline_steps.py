"""Derived configs edit their base's pipeline by step type, never by
position: a step inserted into a base reaches every derived config."""
import ast
import shutil
from pathlib import Path

import pytest
from mmengine.config import Config

from mme_mmaction.datasets.pipeline_steps import (find_step, insert_before,
                                                  remove_step, replace_step,
                                                  update_step,
                                                  with_motion_guided_mask,
                                                  without_trajectories)

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = [dict(type='A'), dict(type='B', x=1), dict(type='C')]
# The configs that define a pre-training pipeline from scratch.
BASES = ('configs/_base_/datasets/kinetics400_mme_pretrain.py',
         'configs/_base_/datasets/sthv2_mme_pretrain.py',
         'configs/mme/vit-tiny_toy.py')


def types(pipeline):
    return [step['type'] for step in pipeline]


def test_edits_by_type():
    assert types(replace_step(PIPELINE, 'B', dict(type='X'))) == [
        'A', 'X', 'C']
    assert update_step(PIPELINE, 'B', x=2, y=3)[1] == dict(type='B', x=2,
                                                           y=3)
    assert types(remove_step(PIPELINE, 'A')) == ['B', 'C']
    assert types(insert_before(PIPELINE, 'C', dict(type='X'))) == [
        'A', 'B', 'X', 'C']
    assert PIPELINE[1] == dict(type='B', x=1)  # the base is not changed


@pytest.mark.parametrize('pipeline, count', [
    (PIPELINE, 0), (PIPELINE + [dict(type='Z'), dict(type='Z')], 2)])
def test_a_missing_or_repeated_type_is_named(pipeline, count):
    with pytest.raises(ValueError,
                       match=f"has {count} Z steps, not one: "
                       r"\['A', 'B', 'C'"):
        find_step(pipeline, 'Z')


def test_without_trajectories_keeps_the_skip_policy():
    pipeline = [dict(type='DecordDecodeWithTrajectoryFrames',
                     on_bad_input='skip'),
                dict(type='TrajectoryTarget'), dict(type='C')]
    assert without_trajectories(pipeline) == [
        dict(type='CheckedDecordDecode', on_bad_input='skip'),
        dict(type='C')]


def test_a_motion_guided_mask_replaces_the_mask_and_tracks_if_needed():
    tracked = [dict(type='DecordDecodeWithTrajectoryFrames'),
               dict(type='TrajectoryTarget', cell_size=8),
               dict(type='TubeMaskGenerator', mask_ratio=0.7, patch_size=32),
               dict(type='FormatShape')]
    assert with_motion_guided_mask(tracked, 'motion', random_share=0.2) == [
        *tracked[:2],
        dict(type='MotionGuidedMaskGenerator', mask_ratio=0.7, patch_size=32,
             mode='motion', random_share=0.2), tracked[3]]
    # Without trajectories: tracked again, one cell per patch, for the mask.
    pixels = without_trajectories(
        [dict(type='DecordDecodeWithTrajectoryFrames', on_bad_input='skip'),
         *tracked[1:]])
    assert types(with_motion_guided_mask(pixels)) == [
        'DecordDecodeWithTrajectoryFrames', 'TrajectoryTarget',
        'MotionGuidedMaskGenerator', 'FormatShape']
    decode, track, mask, _ = with_motion_guided_mask(pixels)
    assert decode == dict(type='DecordDecodeWithTrajectoryFrames',
                          traj_len=1, tubelet_size=2, on_bad_input='skip')
    assert track['cell_size'] == 32 and mask['mode'] == 'warp'
    slices = [dict(type='CheckedDecordDecode'),
              dict(type='SliceRandomMaskGenerator', mask_ratio=0.9)]
    assert with_motion_guided_mask(slices)[2]['mask_ratio'] == 0.9
    with pytest.raises(ValueError, match='has 0 of the mask steps'):
        with_motion_guided_mask(tracked[:2])


def _indexed_base_pipelines(source: str):
    """Subscripts of a ``_base_.<...pipeline>`` in a config's source."""
    tree = ast.parse(source)
    return [
        ast.unparse(node) for node in ast.walk(tree)
        if isinstance(node, ast.Subscript)
        and 'pipeline' in ast.unparse(node.value)
        and ast.unparse(node.value).startswith('_base_.')
    ]


def test_no_config_indexes_a_base_pipeline():
    found = {
        str(path.relative_to(ROOT)): _indexed_base_pipelines(path.read_text())
        for path in (ROOT / 'configs').rglob('*.py')
    }
    assert not {k: v for k, v in found.items() if v}
    # The scan sees an index where there is one.
    assert _indexed_base_pipelines(
        'pipeline = [*_base_.train_pipeline[3:6], dict(type="X")]') == [
            '_base_.train_pipeline[3:6]']


def _pipelines(configs: Path) -> dict:
    """Training pipeline of every pre-training config below ``configs``."""
    out = {}
    for path in sorted(configs.rglob('*.py')):
        if '_base_' in path.parts or 'recognition' in path.parts:
            continue
        loader = Config.fromfile(path).train_dataloader.dataset
        while 'pipeline' not in loader:
            loader = loader.dataset
        out[str(path.relative_to(configs))] = [dict(s) for s in
                                               loader.pipeline]
    return out


def test_a_step_inserted_into_a_base_reaches_every_derived_config(
        tmp_path):
    before = _pipelines(ROOT / 'configs')
    configs = tmp_path / 'configs'
    shutil.copytree(ROOT / 'configs', configs,
                    ignore=shutil.ignore_patterns('__pycache__'))
    for base in BASES:
        path = tmp_path / base
        lines = path.read_text().splitlines(keepends=True)
        at = next(i for i, line in enumerate(lines) if 'SampleFrames' in line)
        lines.insert(at + 1, "    dict(type='Inserted'),\n")
        path.write_text(''.join(lines))
    after = _pipelines(configs)
    assert after.keys() == before.keys() and len(after) >= 12
    for name, pipeline in after.items():
        assert types(pipeline).count('Inserted') == 1, name
        assert remove_step(pipeline, 'Inserted') == before[name], name


def test_one_packing_step_packs_every_field_a_target_reads():
    """Target generators declare the fields they read; PackPretrainInputs
    packs every one, so no config lists algorithm_keys."""
    import numpy as np
    import torch
    from mmaction.registry import MODELS, TRANSFORMS

    from mme_mmaction.datasets.transforms import PackPretrainInputs
    from mme_mmaction.models import TargetGenerator
    generators = [cls for cls in MODELS.module_dict.values()
                  if isinstance(cls, type) and issubclass(cls,
                                                          TargetGenerator)]
    assert len(generators) >= 5
    declared = {key for cls in generators for key in cls.sample_keys}
    assert declared == {'trajectories', 'traj_valid'}
    assert declared | {'mask'} <= set(PackPretrainInputs.FIELDS)
    pack = TRANSFORMS.build(dict(type='PackPretrainInputs'))
    sample = pack(dict(imgs=np.zeros((1, 3, 2, 4, 4), np.float32),
                       mask=np.ones(2, bool), img_shape=(4, 4),
                       filename='v.mp4'))['data_samples']
    assert 'mask' in sample and 'trajectories' not in sample
    assert sample.metainfo == dict(img_shape=(4, 4), filename='v.mp4')
    assert torch.is_tensor(pack(dict(imgs=np.zeros((1, 3, 2, 4, 4)),
                                     mask=np.ones(2, bool)))['inputs'])

"""tools/analysis/benchmark_study_step.py: the fp32 variant keeps the
optimizer, and a tiny run prints one row per arm in both precisions."""
from mmengine.config import Config
from mmengine.optim import OptimWrapper, build_optim_wrapper
from torch import nn

from mme_mmaction.engine.optimizers.mixed_precision_optim_wrapper import \
    cpu_supports_bf16
from tool_modules import load_tool

bench = load_tool('tools/analysis/benchmark_study_step.py')


def test_the_fp32_variant_changes_only_the_wrapper():
    cfg = Config(dict(optim_wrapper=dict(
        type='MixedPrecisionOptimWrapper',
        optimizer=dict(type='AdamW', lr=3e-4, weight_decay=0.05),
        paramwise_cfg=dict(bias_decay_mult=0.))))
    fp32 = bench.in_precision(cfg, 'float32')
    assert bench.in_precision(cfg, 'config') is cfg
    assert cfg.optim_wrapper.type == 'MixedPrecisionOptimWrapper'
    layer = nn.Linear(2, 2)
    wrapper = build_optim_wrapper(layer, fp32.optim_wrapper)
    assert type(wrapper) is OptimWrapper
    decay = {id(p): g['weight_decay'] for g in wrapper.param_groups
             for p in g['params']}
    assert decay[id(layer.weight)] == 0.05 and decay[id(layer.bias)] == 0.
    assert set(wrapper.get_lr()['lr']) == {3e-4}


def test_a_tiny_run_times_both_precisions(tmp_path, capsys):
    bench.main(['--arms', 'mme', 'videomae', '--steps', '1', '--rounds',
                '2', '--work-dir', str(tmp_path), '--batch-size', '2',
                '--pool', '6', '--eval-clips', '2', '--pretrain-videos', '1',
                '--labelled-videos', '1', '--val-videos', '1'])
    rows = [line.split(' | ') for line in capsys.readouterr().out.splitlines()
            if line.startswith(('| mme ', '| videomae '))]
    assert [row[0] for row in rows] == ['| mme', '| videomae']
    trained = 'bfloat16' if cpu_supports_bf16() else 'float32'
    for row in rows:
        assert row[1] == f'{trained} / float32'
        assert float(row[2]) > 0 and float(row[3]) > 0
        median = float(row[4].split()[0].rstrip('x'))
        low, high = map(float, row[4].split()[1].strip('()').split('-'))
        assert low <= median <= high

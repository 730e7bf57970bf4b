"""Configs and report of ``tools/analysis/gpu_check.sh``.

The shell script generates a dataset, extracts its trajectories and trains
every run with ``tools/train.py --amp``; this helper does the rest:

- ``prepare OUT ...`` writes each run's config into ``OUT/<run>/``: the
  recipe's own, with the generated data listed often enough for exactly
  ``--iters`` iterations in one epoch, ``--workers`` data workers, a log
  line per iteration, no checkpoints, no validation and no pre-trained
  weights; the trajectory source is set on the pipeline's
  ``TrajectoryTarget`` step, found by its type. It also records what the
  report needs (clips per iteration, the forward multiply-adds of one clip
  by ``tools/analysis/get_flops.py``'s count) and lists the runs in
  ``OUT/runs.txt``.
- ``report OUT`` reads each run's exit status and logged ``time`` and
  ``data_time`` and prints one table (see ``docs/benchmarks.md``).

With CUDA the runs are ViT-B MME pre-training with the ``lucas_kanade``
and the ``stored`` trajectory source and ViT-B fine-tuning; without it the
same steps on the toy configs, the CI smoke test.
"""
import argparse
import copy
import itertools
import json
import os
import os.path as osp
import shutil
import sys
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import torch
from mmengine.config import Config, ConfigDict

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
RUNS_FILE = 'runs.txt'
META_FILE = 'meta.json'
STATUS_FILE = 'status'  # exit status of the run, written by the script
TIMED_OUT = (124, 137)  # exit statuses of `timeout -k`
# Square matmul whose speed is the peak that MFU divides by: large enough
# on a GPU that launch overhead and autocast's casts are small against it.
PEAK_MATMUL_SIZE = {'cuda': 16384, 'cpu': 2048}
# One multiply-add is 2 FLOPs; backward costs twice the forward.
FLOPS_PER_FORWARD_MAC = 6


class Run(NamedTuple):
    """One training run of the check.

    Attributes:
        name (str): Its folder below OUT and its row in the table.
        config (str): The recipe, relative to the repository root.
        source (str, optional): Trajectory source of a pre-training run,
            ``'lucas_kanade'`` or ``'stored'``; None keeps the config's.
    """
    name: str
    config: str
    source: Optional[str] = None


RUNS: Dict[str, Sequence[Run]] = {
    'cuda': (
        Run('pretrain-lucas_kanade', 'configs/mme/vitb_k400.py',
            'lucas_kanade'),
        Run('pretrain-stored', 'configs/mme/vitb_k400.py', 'stored'),
        Run('finetune', 'configs/recognition/'
            'vit-base-p16_mme-pre_16x4x1_kinetics400.py'),
    ),
    'cpu': (
        Run('pretrain-lucas_kanade', 'configs/mme/vit-tiny_toy.py',
            'lucas_kanade'),
        Run('pretrain-stored', 'configs/mme/vit-tiny_toy_offline.py',
            'stored'),
        Run('finetune', 'configs/recognition/vit-tiny_mme-pre_toy.py'),
    ),
}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest='command', required=True)
    prepare = commands.add_parser('prepare', help='write the runs\' configs')
    prepare.add_argument('out', help='output folder of the check')
    prepare.add_argument('--mode', choices=sorted(RUNS), required=True)
    prepare.add_argument('--data', required=True,
                         help='folder of make_toy_dataset.py\'s dataset')
    prepare.add_argument('--trajectories', required=True,
                         help='extract_trajectories.py\'s output folder')
    prepare.add_argument('--iters', type=int, required=True)
    prepare.add_argument('--warmup', type=int, required=True,
                         help='first iterations left out of the figures')
    prepare.add_argument('--workers', type=int, required=True)
    prepare.add_argument('--batch-size', type=int,
                         help='videos per iteration (default: the '
                         'config\'s)')
    report = commands.add_parser('report', help='print the table')
    report.add_argument('out', help='output folder of the check')
    args = parser.parse_args(argv)
    if args.command == 'prepare':
        if not 0 <= args.warmup < args.iters:
            parser.error(f'--warmup must be in [0, --iters), got '
                         f'{args.warmup} with --iters {args.iters}')
        # The configs work from any folder.
        args.data = osp.abspath(args.data)
        args.trajectories = osp.abspath(args.trajectories)
    return args


def unwrap_dataset(cfg: Config) -> ConfigDict:
    """Replace the training dataset's wrappers by the dataset they wrap.

    Wrappers such as ``RepeatDataset`` only change how often the list is
    read; the list written for the run decides that here.
    """
    dataset = cfg.train_dataloader.dataset
    while 'dataset' in dataset:
        dataset = dataset.dataset
    cfg.train_dataloader.dataset = dataset
    return dataset


def pipeline_step(pipeline: List[ConfigDict], kind: str,
                  config: str) -> ConfigDict:
    """The one step of type ``kind`` in a training pipeline.

    Raises:
        ValueError: If the pipeline has none or several, naming the config.
    """
    steps = [step for step in pipeline if step['type'] == kind]
    if len(steps) != 1:
        raise ValueError(f'{config}: the training pipeline has {len(steps)} '
                         f'{kind} steps; gpu_check sets the trajectory '
                         'source on exactly one.')
    return steps[0]


def set_source(pipeline: List[ConfigDict], run: Run, data: str,
               trajectories: str) -> None:
    """Point the pipeline's ``TrajectoryTarget`` at the run's source."""
    decode = pipeline_step(pipeline, 'DecordDecodeWithTrajectoryFrames',
                           run.config)
    target = pipeline_step(pipeline, 'TrajectoryTarget', run.config)
    # Stored trajectories need only the sampled frames decoded.
    decode['raw_frames'] = run.source != 'stored'
    if run.source == 'stored':
        target['source'] = dict(type='stored', root=trajectories,
                                video_root=data)
    else:
        target['source'] = dict(type=run.source)


def write_list(source: str, target: str, lines: int) -> None:
    """Write ``lines`` lines of the list ``source``, cycling through it.

    Raises:
        ValueError: If ``source`` lists no video.
    """
    with open(source) as f:
        videos = [line for line in f if line.strip()]
    if not videos:
        raise ValueError(f'{source} lists no video: generate the data with '
                         'tools/data/make_toy_dataset.py.')
    with open(target, 'w') as f:
        f.writelines(itertools.islice(itertools.cycle(videos), lines))


def run_config(run: Run, args: argparse.Namespace, folder: str) -> Config:
    """The run's recipe on the generated data, for ``args.iters`` steps."""
    cfg = Config.fromfile(osp.join(ROOT, run.config))
    loader = cfg.train_dataloader
    if args.batch_size:
        loader.batch_size = args.batch_size
    loader.num_workers = args.workers
    dataset = unwrap_dataset(cfg)
    dataset.ann_file = osp.join(folder, 'train_list.txt')
    dataset.data_prefix = dict(video=args.data)
    write_list(osp.join(args.data, 'train_list.txt'), dataset.ann_file,
               loader.batch_size * args.iters)
    if run.source:
        set_source(dataset.pipeline, run, args.data, args.trajectories)
    # No pre-trained checkpoint exists here; the speed does not depend on
    # the weights.
    if cfg.model.backbone.get('init_cfg'):
        cfg.model.backbone.init_cfg = None
    cfg.train_cfg.max_epochs = 1
    for split in ('val', 'test'):
        for part in ('cfg', 'dataloader', 'evaluator'):
            cfg[f'{split}_{part}'] = None
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger.interval = 1
    cfg.log_processor.window_size = 1
    return cfg


def clips_per_iteration(cfg: Config) -> int:
    """Clips the model trains on per step (repeated augmentation counted)."""
    return (cfg.train_dataloader.batch_size *
            cfg.train_dataloader.dataset.get('num_repeats', 1))


def forward_macs(cfg: Config) -> float:
    """Multiply-adds of one clip's training forward, by get_flops.py's
    count: pre-training at the config's mask ratio, or recognition."""
    from get_flops import forward_flops
    from mmaction.registry import MODELS
    from mmengine.registry import init_default_scope

    init_default_scope(cfg.get('default_scope', 'mmaction'))
    model = MODELS.build(copy.deepcopy(cfg.model)).eval()
    return forward_flops(cfg, model)[0]


def prepare(args: argparse.Namespace) -> None:
    """Write every run's config and meta data, and OUT/runs.txt."""
    runs = RUNS[args.mode]
    for run in runs:
        folder = osp.join(args.out, run.name)
        # A stale log of an earlier check must not be read as this one's.
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        cfg = run_config(run, args, folder)
        cfg.dump(osp.join(folder, 'config.py'))
        meta = dict(config=run.config, iterations=args.iters,
                    warmup=args.warmup,
                    clips_per_iteration=clips_per_iteration(cfg),
                    workers=args.workers, forward_macs=forward_macs(cfg))
        with open(osp.join(folder, META_FILE), 'w') as f:
            json.dump(meta, f)
            f.write('\n')
    with open(osp.join(args.out, RUNS_FILE), 'w') as f:
        f.writelines(f'{run.name}\n' for run in runs)


def summarize(entries: List[dict], warmup: int,
              clips_per_iteration: int) -> dict:
    """Speed, data wait and peak memory of a run's logged iterations.

    Args:
        entries (list[dict]): ``scalars.json`` lines of a run logged at
            every iteration with a window of one (``time`` and
            ``data_time`` of that iteration, ``step`` its number from 1,
            ``memory`` in MB on CUDA).
        warmup (int): Iterations left out of speed and data wait.
        clips_per_iteration (int): Clips per training step.

    Returns:
        dict: ``iterations`` logged, ``clips_per_s`` and
        ``data_wait_share`` (sum of ``data_time`` over sum of ``time``)
        after the warm-up, and ``peak_gib`` (None without ``memory``).

    Raises:
        ValueError: If no iteration was logged after the warm-up.
    """
    steps = [e for e in entries if 'time' in e and 'data_time' in e]
    timed = [e for e in steps if e['step'] > warmup]
    if not timed:
        raise ValueError(f'{len(steps)} iterations logged, none after the '
                         f'{warmup} of warm-up.')
    seconds = sum(e['time'] for e in timed)
    memory = [e['memory'] for e in steps if 'memory' in e]
    return dict(
        iterations=len(steps),
        clips_per_s=clips_per_iteration * len(timed) / seconds,
        data_wait_share=sum(e['data_time'] for e in timed) / seconds,
        peak_gib=max(memory) / 1024 if memory else None)


def training_precision(device: str, cfg: Config) -> torch.dtype:
    """The dtype that ``tools/train.py --amp`` computes in on ``device``."""
    from mme_mmaction.engine.optimizers import cpu_supports_bf16
    if device == 'cuda':
        return getattr(torch, cfg.optim_wrapper.get('dtype') or 'float16')
    return torch.bfloat16 if cpu_supports_bf16() else torch.float32


def exit_status(folder: str) -> Optional[int]:
    """The run's exit status as the script wrote it; None if it did not."""
    path = osp.join(folder, STATUS_FILE)
    if not osp.exists(path):
        return None
    with open(path) as f:
        return int(f.read())


def run_row(folder: str, meta: dict, device: str, device_name: str,
            peak_flops: Dict[torch.dtype, float]) -> Tuple[str, bool]:
    """The table row of one run and whether the run finished.

    A run that stopped early (a timeout, an error) keeps the figures of
    the iterations it logged after the warm-up, if any; the row says why
    it stopped and where its log is.
    """
    from mme_mmaction.analysis import logged_scalars

    name = osp.basename(folder)
    status = exit_status(folder)
    failure = (None if status == 0 else 'did not run' if status is None
               else 'timed out' if status in TIMED_OUT else
               f'exit status {status}')
    log = osp.join(folder, 'train.log')
    try:
        figures = summarize(logged_scalars(folder), meta['warmup'],
                            meta['clips_per_iteration'])
    except (FileNotFoundError, ValueError):
        if failure is None:
            raise
        return (f'| {name} | {device_name} | failed: {failure} ({log}) | '
                '- | - | - | - |', False)
    dtype = training_precision(
        device, Config.fromfile(osp.join(folder, 'config.py')))
    if dtype not in peak_flops:
        from benchmark_encoder import matmul_gflops
        peak_flops[dtype] = 1e9 * matmul_gflops(
            device, dtype, PEAK_MATMUL_SIZE[device])
    mfu = (FLOPS_PER_FORWARD_MAC * meta['forward_macs'] *
           figures['clips_per_s'] / peak_flops[dtype])
    memory = ('n/a' if figures['peak_gib'] is None else
              f'{figures["peak_gib"]:.1f} GiB')
    iterations = (f'{figures["iterations"]} '
                  f'({figures["iterations"] - meta["warmup"]} timed)')
    if failure:
        iterations += f', then {failure} ({log})'
    return (f'| {name} | {device_name} | {iterations} | '
            f'{figures["clips_per_s"]:.3g} | {memory} | '
            f'{figures["data_wait_share"]:.2f} | {100 * mfu:.3g}% |',
            failure is None)


def report(args: argparse.Namespace) -> int:
    """Print what each run is, the peak FLOP/s and the table.

    Returns:
        int: 1 if a run failed, else 0 (the script's exit status).
    """
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    device_name = (torch.cuda.get_device_name() if device == 'cuda' else
                   f'CPU, {torch.get_num_threads()} threads')
    with open(osp.join(args.out, RUNS_FILE)) as f:
        folders = [osp.join(args.out, line.strip()) for line in f]
    peak_flops: Dict[torch.dtype, float] = {}
    rows, trained = [], []
    for folder in folders:
        with open(osp.join(folder, META_FILE)) as f:
            meta = json.load(f)
        print(f'{osp.basename(folder)}: {meta["config"]}, '
              f'{meta["clips_per_iteration"]} clips per iteration, '
              f'{meta["workers"]} data workers, '
              f'{2 * meta["forward_macs"] / 1e9:.1f} GFLOP forward per clip')
        row, ok = run_row(folder, meta, device, device_name, peak_flops)
        rows.append(row)
        trained.append(ok)
    for dtype, flops in peak_flops.items():
        print(f'MFU against a {PEAK_MATMUL_SIZE[device]}^2 '
              f'{str(dtype).split(".")[-1]} matmul: '
              f'{flops / 1e12:.2f} TFLOP/s on this device')
    print('| run | device | iterations | clips/s | peak memory | '
          'data-wait share | MFU |')
    print('|---|---|---|---|---|---|---|')
    print('\n'.join(rows))
    return int(not all(trained))


def main() -> None:
    args = parse_args()
    if args.command == 'prepare':
        prepare(args)
    else:
        sys.exit(report(args))


if __name__ == '__main__':
    sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
    main()

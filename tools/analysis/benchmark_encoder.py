"""Encoder and pre-training step speed and memory against stock MMAction2.

Variants, each run in its own process (so that peak memory is its own), in
``--rounds`` rounds with the order rotated every round; each round gives one
ratio per comparison, and the table reports the median ratio over rounds
with its spread, so that one noisy neighbour cannot flip a result:

- ``stock-fp32``: MMAction2's ``VisionTransformer``, forward + backward of
  one clip, fp32 (the baseline of the next three);
- ``ours-fp32``, ``ours-bf16``: ``MaskedMotionEncoder`` (fused attention),
  fp32 and under bf16 autocast; ``stock-bf16`` for reference;
- ``stock-pretrain`` and ``ours-pretrain``: one pre-training step of a
  config (encoder on the visible tokens, decoder, head; forward +
  backward), with every attention block MMAction2's naive one or ours.
  These run in the training precision: bf16 autocast where the CPU (or
  GPU) has bf16, else fp32; ``*-pretrain-fp32`` in fp32. ``--batch``
  clips per step (e.g. a toy config's 16).

Memory is the peak resident set above what the process held before the
model was built (weights, gradients, activations; on CUDA
``max_memory_allocated``). The pre-training step also reports its achieved
GFLOP/s (``tools/analysis/get_flops.py``'s count, a multiply-add as 2 FLOPs,
backward as twice the forward) against a square matmul measured in the same
process and precision.

Example:
    python tools/analysis/benchmark_encoder.py --rounds 3
"""
import argparse
import json
import os.path as osp
import resource
import statistics
import subprocess
import sys
import time
from typing import Dict, List

from mme_mmaction.analysis import ratio_spread

VARIANTS = ('stock-fp32', 'ours-fp32', 'stock-bf16', 'ours-bf16',
            'stock-pretrain', 'ours-pretrain', 'stock-pretrain-fp32',
            'ours-pretrain-fp32')
# (variant, baseline, goal): speed-up goals of issue 13.
COMPARISONS = (('ours-fp32', 'stock-fp32', 1.6),
               ('ours-bf16', 'stock-fp32', 3.5),
               ('stock-bf16', 'stock-fp32', None),
               ('ours-pretrain', 'stock-pretrain', 1.5),
               ('ours-pretrain-fp32', 'stock-pretrain-fp32', 1.5),
               ('ours-pretrain', 'ours-pretrain-fp32', None))
MEMORY_GOAL = ('ours-fp32', 'stock-fp32', 0.55)
CPU_FLAGS = ('avx512f', 'avx512_bf16', 'amx_bf16', 'amx_tile')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--arch', default='base')
    parser.add_argument('--frames', type=int, default=16)
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--config', default='configs/mme/vitb_ssv2.py',
                        help='pre-training config of the *-pretrain variants')
    parser.add_argument('--repeats', type=int, default=2,
                        help='timed steps per variant and round')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--variants', nargs='+', default=list(VARIANTS),
                        choices=VARIANTS)
    parser.add_argument('--variant', choices=VARIANTS, help=argparse.SUPPRESS)
    return parser.parse_args()


def cpu_description() -> str:
    """CPU model and the flags that decide fp32 and bf16 speed."""
    model, flags = 'unknown CPU', set()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                key, _, value = line.partition(':')
                if key.strip() == 'model name':
                    model = value.strip()
                elif key.strip() == 'flags':
                    flags = set(value.split())
                    break
    except OSError:
        pass
    present = [flag for flag in CPU_FLAGS if flag in flags]
    flags = ' '.join(present) or f'none of {CPU_FLAGS}'
    return f'{model}; flags: {flags}'


def current_rss_gib() -> float:
    with open('/proc/self/statm') as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**30


def matmul_gflops(device: str, dtype, size: int = 2048) -> float:
    """Best of a few square matmuls, GFLOP/s (2 n^3 per product)."""
    import torch
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    best = float('inf')
    for _ in range(5):
        start = time.perf_counter()
        with torch.autocast(device, dtype=dtype,
                            enabled=dtype != torch.float32):
            torch.mm(a, b)
        if device == 'cuda':
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def build(args: argparse.Namespace, device: str):
    """(model, inputs, forward multiply-adds or None) of a variant."""
    import torch
    from mmaction.models.backbones import VisionTransformer
    from mmaction.models.backbones.vit_mae import Attention

    from mme_mmaction.models import MaskedMotionEncoder
    from mme_mmaction.models.backbones.masked_motion_encoder import \
        ARCH_SETTINGS
    from mme_mmaction.models.utils.fused_attention import FusedAttention

    if 'pretrain' in args.variant:
        from mmengine.config import Config
        from mmengine.registry import init_default_scope

        from get_flops import (PretrainStep, clip_shape, config_mask_ratio,
                               count, counted_mask)
        from mmaction.registry import MODELS
        cfg = Config.fromfile(args.config)
        init_default_scope(cfg.get('default_scope', 'mmaction'))
        cfg.model.backbone.pop('init_cfg', None)
        step = PretrainStep(MODELS.build(cfg.model))
        if args.variant.startswith('stock'):
            for module in step.modules():
                if isinstance(module, FusedAttention):
                    module.__class__ = Attention
        clip = torch.randn(clip_shape(cfg))
        mask = counted_mask(step.model, config_mask_ratio(cfg))
        flops = count(step.eval(), (clip, mask)) if args.variant.startswith(
            'ours') else None
        clips = clip.repeat(args.batch, 1, 1, 1, 1)
        masks = mask.repeat(args.batch, 1)
        return step.to(device), (clips.to(device), masks.to(device)), (
            flops and flops * args.batch)
    common = dict(img_size=args.img_size, num_frames=args.frames,
                  use_mean_pooling=False)
    if args.variant.startswith('stock'):
        model = VisionTransformer(**ARCH_SETTINGS[args.arch], **common)
    else:
        model = MaskedMotionEncoder(arch=args.arch, **common)
    x = torch.randn(args.batch, 3, args.frames, args.img_size,
                    args.img_size)
    return model.to(device), (x.to(device), ), None


def measure(args: argparse.Namespace) -> dict:
    """Run one variant in this process."""
    import torch

    import mme_mmaction  # noqa: F401  (before mmaction.models: compat)
    from mme_mmaction.engine.optimizers import cpu_supports_bf16

    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    has_bf16 = (torch.cuda.is_bf16_supported()
                if device == 'cuda' else cpu_supports_bf16())
    bf16 = 'bf16' in args.variant or (args.variant.endswith('pretrain')
                                      and has_bf16)
    dtype = torch.bfloat16 if bf16 else torch.float32
    peak_gflops = matmul_gflops(device, dtype)
    before = current_rss_gib()
    model, inputs, flops = build(args, device)
    model.train()

    def step() -> None:
        with torch.autocast(device, dtype=dtype, enabled=bf16):
            out = model(*inputs)
        outs = out if isinstance(out, (tuple, list)) else (out, )
        sum(o.float().square().mean() for o in outs).backward()
        model.zero_grad(set_to_none=True)
        if device == 'cuda':
            torch.cuda.synchronize()

    step()  # warm-up
    seconds = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - start)
    if device == 'cuda':
        peak = torch.cuda.max_memory_allocated() / 2**30
    else:
        peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20 -
                before)
    return dict(variant=args.variant, device=device,
                seconds=statistics.median(seconds), peak_gib=peak,
                dtype=str(dtype).split('.')[-1], flops=flops,
                peak_gflops=peak_gflops, threads=torch.get_num_threads())


def run_variant(args: argparse.Namespace, variant: str) -> dict:
    command = [sys.executable, __file__, '--variant', variant] + [
        f'--{k.replace("_", "-")}={v}' for k, v in vars(args).items()
        if k not in ('variant', 'variants') and v is not None
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f'{variant} failed:\n{done.stderr[-3000:]}')
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    args = parse_args()
    if args.variant:
        print(json.dumps(measure(args)))
        return
    variants = [v for v in VARIANTS if v in args.variants]
    rounds: List[Dict[str, dict]] = []
    for r in range(args.rounds):
        order = variants[r % len(variants):] + variants[:r % len(variants)]
        rounds.append({v: run_variant(args, v) for v in order})
    first = rounds[0][variants[0]]
    print(f'{cpu_description()}; {first["device"]}, {first["threads"]} '
          f'threads; {args.rounds} rounds, median of {args.repeats} steps '
          'per variant and round')
    if any('pretrain' not in v for v in variants):
        print(f'Encoder: ViT arch={args.arch}, {args.batch}x{args.frames}x'
              f'{args.img_size}x{args.img_size}')
    if any('pretrain' in v for v in variants):
        print(f'Pre-training step: {args.config}, batch {args.batch}')
    print('| variant | precision | s/step (median) | peak memory above '
          'baseline (GiB) |')
    print('|---|---|---|---|')
    for v in variants:
        print(f'| {v} | {first_of(rounds, v, "dtype")} | '
              f'{median_of(rounds, v, "seconds"):.2f} | '
              f'{median_of(rounds, v, "peak_gib"):.2f} |')
    print('\n| comparison | speed-up, median (spread) over rounds | goal |')
    print('|---|---|---|')
    for variant, base, goal in COMPARISONS:
        if variant in variants and base in variants:
            ratios = [r[base]['seconds'] / r[variant]['seconds']
                      for r in rounds]
            verdict = '-' if goal is None else (
                f'>= {goal}x: ' +
                ('met' if statistics.median(ratios) >= goal else 'missed'))
            print(f'| {variant} vs {base} | {ratio_spread(ratios)} | '
                  f'{verdict} |')
    variant, base, goal = MEMORY_GOAL
    if variant in variants and base in variants:
        ratios = [r[variant]['peak_gib'] / r[base]['peak_gib']
                  for r in rounds]
        verdict = 'met' if statistics.median(ratios) <= goal else 'missed'
        print(f'| {variant} vs {base}, peak memory | {ratio_spread(ratios)} | '
              f'<= {goal}x: {verdict} |')
    for variant in ('ours-pretrain', 'ours-pretrain-fp32'):
        if variant not in variants:
            continue
        rows = [r[variant] for r in rounds]
        achieved = statistics.median(6 * row['flops'] / row['seconds'] / 1e9
                                     for row in rows)
        peak = statistics.median(row['peak_gflops'] for row in rows)
        print(f'\nPre-training step, {variant} ({rows[0]["dtype"]}): '
              f'{2 * rows[0]["flops"] / 1e9:.1f} GFLOP forward, x3 with '
              f'backward; achieved {achieved:.0f} GFLOP/s against a '
              f'{peak:.0f} GFLOP/s matmul in the same process (MFU '
              f'{achieved / peak:.0%})')


def median_of(rounds: List[Dict[str, dict]], variant: str,
              key: str) -> float:
    return statistics.median(r[variant][key] for r in rounds)


def first_of(rounds: List[Dict[str, dict]], variant: str, key: str):
    return rounds[0][variant][key]


if __name__ == '__main__':
    sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
    main()

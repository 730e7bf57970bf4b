"""Encoder training-step speed and memory against MMAction2's ViT.

Times forward + backward of one batch for MMAction2's ``VisionTransformer``
(fp32, the baseline) and for ``MaskedMotionEncoder`` in fp32, under bf16
autocast, and on the visible tokens only (the pre-training step), and prints
each one's ratio to the baseline measured in the same run. Every variant
runs in its own process so that peak memory is its own.

Example:
    python tools/analysis/benchmark_encoder.py --arch base --repeats 3
"""
import argparse
import json
import resource
import subprocess
import sys
import time

VARIANTS = ('stock-fp32', 'ours-fp32', 'ours-bf16', 'ours-bf16-masked')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--arch', default='base')
    parser.add_argument('--frames', type=int, default=16)
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--mask-ratio', type=float, default=0.7)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--variant', choices=VARIANTS, help=argparse.SUPPRESS)
    return parser.parse_args()


def measure(args: argparse.Namespace) -> dict:
    """Run one variant in this process; seconds per step and peak memory."""
    import torch

    import mme_mmaction  # noqa: F401  (before mmaction.models: compat)
    from mmaction.models.backbones import VisionTransformer
    from mme_mmaction.models import MaskedMotionEncoder
    from mme_mmaction.models.backbones.masked_motion_encoder import \
        ARCH_SETTINGS

    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    arch = ARCH_SETTINGS[args.arch]
    common = dict(img_size=args.img_size, num_frames=args.frames,
                  use_mean_pooling=False)
    if args.variant == 'stock-fp32':
        model = VisionTransformer(**arch, **common)
    else:
        model = MaskedMotionEncoder(arch=args.arch, **common)
    model.to(device).train()
    x = torch.randn(args.batch, 3, args.frames, args.img_size, args.img_size,
                    device=device)
    mask = None
    if args.variant.endswith('masked'):
        tokens = model.pos_embed.shape[1]
        per_slice = tokens // (args.frames // 2)
        spatial = torch.zeros(per_slice, dtype=torch.bool)
        spatial[torch.randperm(per_slice)[:int(args.mask_ratio *
                                               per_slice)]] = True
        mask = spatial.repeat(args.frames // 2).expand(args.batch, -1)
        mask = mask.to(device)
    dtype = torch.bfloat16 if 'bf16' in args.variant else torch.float32

    def step() -> None:
        with torch.autocast(device, dtype=dtype, enabled=dtype != torch.float32):
            out = model(x) if mask is None else model(x, mask)
        out.float().square().mean().backward()
        model.zero_grad(set_to_none=True)
        if device == 'cuda':
            torch.cuda.synchronize()

    step()  # warm-up
    start = time.perf_counter()
    for _ in range(args.repeats):
        step()
    seconds = (time.perf_counter() - start) / args.repeats
    if device == 'cuda':
        peak = torch.cuda.max_memory_allocated() / 2**30
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return dict(variant=args.variant, device=device, seconds=seconds,
                peak_gib=peak, threads=torch.get_num_threads())


def main() -> None:
    args = parse_args()
    if args.variant:
        print(json.dumps(measure(args)))
        return
    rows = []
    for variant in VARIANTS:
        command = [sys.executable, __file__, '--variant', variant] + [
            f'--{k.replace("_", "-")}={v}' for k, v in vars(args).items()
            if k != 'variant' and v is not None
        ]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            sys.exit(f'{variant} failed:\n{done.stderr[-3000:]}')
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    base = rows[0]
    print(f'ViT arch={args.arch}, {args.batch}x{args.frames}x'
          f'{args.img_size}x{args.img_size}, forward+backward, '
          f'{base["device"]}, {base["threads"]} threads, '
          f'mean of {args.repeats}')
    print('| variant | s/step | speed-up | peak memory (GiB) | memory ratio |')
    print('|---|---|---|---|---|')
    for row in rows:
        print(f'| {row["variant"]} | {row["seconds"]:.2f} | '
              f'{base["seconds"] / row["seconds"]:.2f}x | '
              f'{row["peak_gib"]:.2f} | '
              f'{row["peak_gib"] / base["peak_gib"]:.2f} |')


if __name__ == '__main__':
    main()

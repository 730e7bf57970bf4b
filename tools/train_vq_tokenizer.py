"""Train a small VQ tokenizer for MAM2 on a video list, on CPU, in minutes.

MAM2's appearance target is VQGAN codes; the public taming-transformers
checkpoints (ImageNet, f16) cannot be downloaded on machines without
network, and mean little on the toy dataset. This trains taming's own
encoder (downsampling 16: one code per 16 px patch) and quantiser on frames
of the listed videos, and saves them in taming's checkpoint layout
(``encoder.*``, ``quant_conv.*``, ``quantize.embedding.weight``), which
``VQGANTokenizer`` loads.

Ours, not taming's recipe, so that it trains in minutes on a CPU: a small
encoder (``--channels``, no attention, no residual blocks), a linear patch
decoder (``patch_decoder.*``; the tokenizer does not need a decoder) and a
squared-error loss only. Training has two stages: ``--ae-steps`` as a plain
autoencoder, then the codebook starts at k-means centres of the encodings
and ``--steps`` train with quantisation. Codes are compared by cosine
(unit-norm encodings and codes, stored at unit norm, so taming's Euclidean
look-up picks the same code); codes unused for ``--restart-every`` steps
restart at random encodings. Quantising an encoder that has not learnt
anything yet gives codes that ignore the image (measured: reconstruction
stays at the level of predicting grey), hence the stages. Held-out videos
give the printed reconstruction PSNR and codebook usage.

Usage:
    python tools/train_vq_tokenizer.py LIST OUT_DIR [--video-root DIR]
        [--size 64] [--ae-steps 300] [--steps 300] [--batch-size 32]
        [--lr 1e-3] [--codebook 256] [--embed-dim 32] [--channels 32]
        [--frames-per-video 16] [--val-videos 8] [--restart-every 50]
        [--seed 0]
"""
import argparse
import json
import math
import os
import os.path as osp
import time
from typing import Dict, List, Optional, Tuple

import cv2
import decord
import numpy as np
import torch
import torch.nn.functional as F

#: Pixels per code side: the downsampling of a 5-level taming encoder.
PATCH = 16


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('list', help='video list (path and label per line)')
    p.add_argument('out_dir', help='writes vq_tokenizer.pth and .json')
    p.add_argument('--video-root', default=None,
                   help='folder the list paths are relative to (default: '
                   "the list's folder)")
    p.add_argument('--size', type=int, default=64,
                   help='side of the square training frames')
    p.add_argument('--ae-steps', type=int, default=300,
                   help='steps without quantisation first')
    p.add_argument('--steps', type=int, default=300,
                   help='steps with quantisation')
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--codebook', type=int, default=256, help='codes')
    p.add_argument('--embed-dim', type=int, default=32, help='code width')
    p.add_argument('--channels', type=int, default=32,
                   help='encoder width (a multiple of 32, for GroupNorm)')
    p.add_argument('--frames-per-video', type=int, default=16)
    p.add_argument('--val-videos', type=int, default=8,
                   help='videos held out for PSNR and codebook usage')
    p.add_argument('--restart-every', type=int, default=50,
                   help='steps between restarts of unused codes (0: never)')
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    for name in ('size', 'steps', 'batch_size', 'codebook', 'embed_dim',
                 'frames_per_video'):
        if getattr(args, name) < 1:
            p.error(f'--{name.replace("_", "-")} must be positive')
    if args.ae_steps < 0 or args.val_videos < 0 or args.restart_every < 0:
        p.error('--ae-steps, --val-videos and --restart-every must not be '
                'negative')
    if args.size % PATCH:
        p.error(f'--size must be a multiple of {PATCH} (one code per patch)')
    if args.channels < 32 or args.channels % 32:
        p.error('--channels must be a positive multiple of 32')
    return args


def ddconfig(channels: int, embed_dim: int, size: int) -> dict:
    """taming ``Encoder`` settings: 5 levels (factor 16), no attention or
    residual blocks."""
    return dict(
        double_z=False, z_channels=embed_dim, resolution=size, in_channels=3,
        out_ch=3, ch=channels, ch_mult=[1, 1, 1, 1, 1], num_res_blocks=0,
        attn_resolutions=[], dropout=0.0)


class ToyVQTokenizer(torch.nn.Module):
    """taming's encoder, 1x1 projection and quantiser under its ``VQModel``
    attribute names (so the state dict has its checkpoint layout), and a
    linear patch decoder of ours.
    """

    def __init__(self, config: dict, embed_dim: int, codebook: int) -> None:
        super().__init__()
        from taming.modules.diffusionmodules.model import Encoder
        from taming.modules.vqvae.quantize import VectorQuantizer2
        self.encoder = Encoder(**config)
        self.quant_conv = torch.nn.Conv2d(config['z_channels'], embed_dim, 1)
        self.quantize = VectorQuantizer2(codebook, embed_dim, beta=0.25,
                                         legacy=False)
        self.patch_decoder = torch.nn.Linear(embed_dim, PATCH * PATCH * 3)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) in [-1, 1] -> (B, h, w, E) unit encodings."""
        z = F.normalize(self.quant_conv(self.encoder(x)), dim=1)
        return z.permute(0, 2, 3, 1)

    def codebook(self) -> torch.Tensor:
        """(K, E) unit codes."""
        return F.normalize(self.quantize.embedding.weight, dim=1)

    def forward(
        self, x: torch.Tensor, quantise: bool = True
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Reconstruction, VQ loss, codes (B*h*w,) and unit encodings.

        Encodings and codes are compared by cosine. With unit-norm codes
        that is also the nearest code in Euclidean distance, which is what
        taming's quantiser (and so ``VQGANTokenizer``) picks.
        """
        z = self.encode(x)
        b, h, w, e = z.shape
        flat = z.reshape(-1, e)
        codes = (flat @ self.codebook().t()).argmax(1)
        vq_loss = flat.new_zeros(())
        quant = flat
        if quantise:
            chosen = self.codebook()[codes]
            vq_loss = (chosen - flat.detach()).pow(2).sum(1).mean() + \
                self.quantize.beta * (chosen.detach() - flat).pow(
                    2).sum(1).mean()
            quant = flat + (chosen - flat).detach()  # straight-through
        patches = self.patch_decoder(quant).reshape(b, h, w, 3, PATCH, PATCH)
        recon = patches.permute(0, 3, 1, 4, 2, 5).reshape(b, 3, h * PATCH,
                                                           w * PATCH)
        return recon, vq_loss, codes, flat


def read_frames(list_file: str, video_root: Optional[str],
                frames_per_video: int) -> Dict[str, np.ndarray]:
    """Evenly spaced RGB frames (K, H, W, 3) uint8 of every listed video.

    Raises:
        ValueError: Naming a video that cannot be read, or an empty list.
    """
    root = video_root or osp.dirname(osp.abspath(list_file))
    with open(list_file) as f:
        names = [line.split()[0] for line in f if line.strip()]
    if not names:
        raise ValueError(f'{list_file}: lists no videos.')
    frames = {}
    for name in names:
        path = osp.join(root, name)
        try:
            reader = decord.VideoReader(path)
            index = np.linspace(0, len(reader) - 1,
                                min(frames_per_video, len(reader)))
            frames[path] = reader.get_batch(
                np.round(index).astype(int).tolist()).asnumpy()
        except Exception as error:  # decord raises its own error types
            raise ValueError(f'{path}: cannot be read ({error}).') from error
    return frames


def random_crops(frames: np.ndarray, count: int, size: int,
                 rng: np.random.Generator) -> torch.Tensor:
    """(count, 3, size, size) in [-1, 1]: random crops of 66-100% of the
    shorter side (as the pre-training pipelines crop), resized."""
    out = np.empty((count, size, size, 3), np.uint8)
    for i in range(count):
        frame = frames[rng.integers(len(frames))]
        h, w = frame.shape[:2]
        side = int(min(h, w) * rng.uniform(0.66, 1.0))
        y, x = rng.integers(h - side + 1), rng.integers(w - side + 1)
        out[i] = cv2.resize(frame[y:y + side, x:x + side], (size, size),
                            interpolation=cv2.INTER_AREA)
    return torch.from_numpy(out).permute(0, 3, 1, 2).float() / 127.5 - 1


def centre_frames(frames: np.ndarray, size: int) -> torch.Tensor:
    """(K, 3, size, size) in [-1, 1]: the centre square of each frame."""
    h, w = frames.shape[1:3]
    side = min(h, w)
    y, x = (h - side) // 2, (w - side) // 2
    out = np.stack([
        cv2.resize(f[y:y + side, x:x + side], (size, size),
                   interpolation=cv2.INTER_AREA) for f in frames
    ])
    return torch.from_numpy(out).permute(0, 3, 1, 2).float() / 127.5 - 1


def kmeans(points: torch.Tensor, k: int, generator: torch.Generator,
           iters: int = 20) -> torch.Tensor:
    """(k, E) centres of (P, E) points; empty clusters take random points."""
    centres = points[torch.randint(len(points), (k, ),
                                   generator=generator)].clone()
    for _ in range(iters):
        assign = torch.cdist(points, centres).argmin(1)
        sums = torch.zeros_like(centres).index_add_(0, assign, points)
        counts = torch.bincount(assign, minlength=k)
        empty = counts == 0
        centres = sums / counts.clamp(min=1)[:, None]
        centres[empty] = points[torch.randint(
            len(points), (int(empty.sum()), ), generator=generator)]
    return centres


@torch.no_grad()
def evaluate(model: ToyVQTokenizer, images: torch.Tensor,
             codebook: int) -> Dict[str, float]:
    """Reconstruction PSNR (dB, on [0, 1] pixels) and codebook usage."""
    recon, _, codes, _ = model(images)
    mse = ((recon.clamp(-1, 1) - images) / 2).pow(2).mean().item()
    counts = torch.bincount(codes, minlength=codebook).float()
    p = counts[counts > 0] / counts.sum()
    return dict(psnr=10 * math.log10(1 / max(mse, 1e-12)),
                usage=(counts > 0).float().mean().item(),
                perplexity=math.exp(-(p * p.log()).sum().item()))


def train(args: argparse.Namespace) -> Dict[str, float]:
    """Train, evaluate and save; returns the held-out metrics."""
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    videos = read_frames(args.list, args.video_root, args.frames_per_video)
    names = sorted(videos)
    rng.shuffle(names)
    held_out = names[:min(args.val_videos, len(names) - 1)]
    train_frames = np.concatenate(
        [videos[n] for n in names if n not in held_out])
    eval_images = (torch.cat([centre_frames(videos[n], args.size)
                              for n in held_out]) if held_out else
                   random_crops(train_frames, 256, args.size, rng))

    config = ddconfig(args.channels, args.embed_dim, args.size)
    model = ToyVQTokenizer(config, args.embed_dim, args.codebook)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    used = torch.zeros(args.codebook, dtype=torch.bool)
    restarted, start = 0, time.monotonic()
    total = args.ae_steps + args.steps
    for step in range(1, total + 1):
        quantise = step > args.ae_steps
        if step == args.ae_steps + 1:
            with torch.no_grad():
                encodings = model.encode(random_crops(
                    train_frames, 512, args.size, rng)).flatten(0, 2)
                model.quantize.embedding.weight.copy_(
                    kmeans(encodings, args.codebook, generator))
        images = random_crops(train_frames, args.batch_size, args.size, rng)
        recon, vq_loss, codes, encodings = model(images, quantise)
        rec_loss = (recon - images).pow(2).mean()
        optimizer.zero_grad()
        (rec_loss + vq_loss).backward()
        optimizer.step()
        if quantise:
            used[codes] = True
            if args.restart_every and \
                    (step - args.ae_steps) % args.restart_every == 0:
                unused = (~used).nonzero().flatten()
                pick = torch.randint(len(encodings), (len(unused), ),
                                     generator=generator)
                with torch.no_grad():
                    model.quantize.embedding.weight[unused] = encodings[
                        pick].detach()
                restarted += len(unused)
                used[:] = False
        if step % max(1, total // 10) == 0 or step == total:
            stage = 'vq' if quantise else 'autoencoder'
            print(f'step {step}/{total} ({stage}): reconstruction '
                  f'{rec_loss.item():.4f}, vq {vq_loss.item():.4f}, '
                  f'{time.monotonic() - start:.0f} s', flush=True)

    with torch.no_grad():
        model.quantize.embedding.weight.copy_(model.codebook())
    metrics = evaluate(model, eval_images, args.codebook)
    metrics.update(restarted_codes=restarted,
                   wall_s=time.monotonic() - start)
    os.makedirs(args.out_dir, exist_ok=True)
    meta = dict(ddconfig=config, embed_dim=args.embed_dim,
                n_embed=args.codebook, held_out_videos=len(held_out),
                **metrics)
    torch.save({'state_dict': model.state_dict(), 'meta': meta},
               osp.join(args.out_dir, 'vq_tokenizer.pth'))
    with open(osp.join(args.out_dir, 'vq_tokenizer.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    return metrics


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    metrics = train(args)
    print(f'held-out reconstruction PSNR {metrics["psnr"]:.2f} dB, codebook '
          f'usage {100 * metrics["usage"]:.1f}% of {args.codebook} codes '
          f'(perplexity {metrics["perplexity"]:.1f}), '
          f'{metrics["restarted_codes"]} codes restarted, '
          f'{metrics["wall_s"]:.0f} s')
    settings = dict(
        checkpoint=osp.join(args.out_dir, 'vq_tokenizer.pth'),
        ddconfig=ddconfig(args.channels, args.embed_dim, args.size),
        embed_dim=args.embed_dim, n_embed=args.codebook)
    print(f'VQGANTokenizer settings: {json.dumps(settings)}')


if __name__ == '__main__':
    main()

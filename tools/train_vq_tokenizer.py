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

The two training stages show a progress bar (steps, losses, elapsed time
and ETA). Every ``--save-every`` steps and at the end of each stage, the
whole training state (model, optimiser, random generators, codebook
restarts) is written to ``OUT_DIR/train_state.pth``, whole or not at all,
so that a killed run leaves the last complete one. ``--resume`` continues
from it and ends with the same tokenizer as an uninterrupted run (on as
many threads); a state saved with other settings is refused. The state is
deleted once the tokenizer is saved.

Usage:
    python tools/train_vq_tokenizer.py LIST OUT_DIR [--video-root DIR]
        [--size 64] [--ae-steps 300] [--steps 300] [--batch-size 32]
        [--lr 1e-3] [--codebook 256] [--embed-dim 32] [--channels 32]
        [--frames-per-video 16] [--val-videos 8] [--restart-every 50]
        [--seed 0] [--save-every 50] [--resume]
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
from tqdm import tqdm

from mme_mmaction.motion.storage import atomic_write

#: Pixels per code side: the downsampling of a 5-level taming encoder.
PATCH = 16
#: The resume state, in OUT_DIR until the tokenizer is saved.
STATE_NAME = 'train_state.pth'
#: Options that leave the trained tokenizer unchanged, so a resumed run may
#: set them differently.
RUN_OPTIONS = ('out_dir', 'save_every', 'resume')


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
    p.add_argument('--save-every', type=int, default=50,
                   help=f'steps between resume states (OUT_DIR/{STATE_NAME}'
                   '; 0: at stage ends only)')
    p.add_argument('--resume', action='store_true',
                   help=f'continue from OUT_DIR/{STATE_NAME}, left by an '
                   'interrupted run with the same settings')
    args = p.parse_args(argv)
    for name in ('size', 'steps', 'batch_size', 'codebook', 'embed_dim',
                 'frames_per_video'):
        if getattr(args, name) < 1:
            p.error(f'--{name.replace("_", "-")} must be positive')
    if min(args.ae_steps, args.val_videos, args.restart_every,
           args.save_every) < 0:
        p.error('--ae-steps, --val-videos, --restart-every and --save-every '
                'must not be negative')
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
        recon = patches.permute(0, 3, 1, 4, 2, 5).reshape(
            b, 3, h * PATCH, w * PATCH)
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


def save_torch(path: str, obj: dict) -> None:
    """``torch.save`` through a temporary file: ``path`` is whole or keeps
    its previous content (also on Ctrl-C or a kill)."""
    atomic_write(path, lambda tmp: torch.save(obj, tmp))


def result_settings(args: argparse.Namespace) -> dict:
    """The options that decide the trained tokenizer, paths absolute."""
    settings = {
        k: v
        for k, v in vars(args).items() if k not in RUN_OPTIONS
    }
    settings['list'] = osp.abspath(args.list)
    if args.video_root is not None:
        settings['video_root'] = osp.abspath(args.video_root)
    return settings


def load_state(path: str, settings: dict) -> dict:
    """A resume state, checked against the settings of this run.

    Args:
        path (str): A state file of :meth:`Training.state_dict`.
        settings (dict): This run's :func:`result_settings`.

    Returns:
        dict: The state, for :meth:`Training.load_state_dict`.

    Raises:
        ValueError: Naming ``path`` if it is not a state of this tool, or
            naming each setting it was saved with that differs, with both
            values.
    """
    try:
        state = torch.load(path, weights_only=True)
        saved = state['settings']
    except Exception as error:  # torch raises several types for bad files
        raise ValueError(f'{path}: not a resume state of this tool '
                         f'({error}); delete it or run without --resume.'
                         ) from error
    differ = [
        f'{"LIST" if k == "list" else "--" + k.replace("_", "-")} '
        f'{saved.get(k)} (now {settings.get(k)})'
        for k in sorted(settings.keys() | saved.keys())
        if saved.get(k) != settings.get(k)
    ]
    if differ:
        raise ValueError(f'{path}: saved with other settings: '
                         f'{", ".join(differ)}. Rerun with the saved '
                         'settings, or without --resume to start afresh.')
    return state


class Training:
    """One training run: the steps, and the state a resume restores.

    Args:
        args (argparse.Namespace): The parsed options.
        frames (np.ndarray): (N, H, W, 3) uint8 training frames.
        rng (np.random.Generator): Draws the crops.
        generator (torch.Generator): Draws k-means starts and restarts.
    """

    def __init__(self, args: argparse.Namespace, frames: np.ndarray,
                 rng: np.random.Generator,
                 generator: torch.Generator) -> None:
        self.args, self.frames = args, frames
        self.rng, self.generator = rng, generator
        self.config = ddconfig(args.channels, args.embed_dim, args.size)
        self.model = ToyVQTokenizer(self.config, args.embed_dim,
                                    args.codebook)
        self.optimizer = torch.optim.Adam(self.model.parameters(),
                                          lr=args.lr)
        self.used = torch.zeros(args.codebook, dtype=torch.bool)
        self.step = 0  # steps done, both stages
        self.codebook_ready = False
        self.restarted = 0
        # Backdated by a resume, so that wall_s sums the runs.
        self.started = time.monotonic()

    def state_dict(self) -> dict:
        """Tensors, numbers, strings, lists and dicts only, so that
        ``torch.load(weights_only=True)`` reads it back."""
        return dict(
            settings=result_settings(self.args),
            step=self.step,
            codebook_ready=self.codebook_ready,
            restarted=self.restarted,
            used=self.used,
            elapsed_s=time.monotonic() - self.started,
            model=self.model.state_dict(),
            optimizer=self.optimizer.state_dict(),
            numpy_rng=self.rng.bit_generator.state,
            torch_rng=self.generator.get_state())

    def load_state_dict(self, state: dict) -> None:
        """Continue from a :meth:`state_dict`."""
        self.model.load_state_dict(state['model'])
        self.optimizer.load_state_dict(state['optimizer'])
        self.rng.bit_generator.state = state['numpy_rng']
        self.generator.set_state(state['torch_rng'])
        self.used.copy_(state['used'])
        self.step = state['step']
        self.codebook_ready = state['codebook_ready']
        self.restarted = state['restarted']
        self.started = time.monotonic() - state['elapsed_s']

    @torch.no_grad()
    def init_codebook(self) -> None:
        """Codes at k-means centres of the encodings of 512 random crops."""
        encodings = self.model.encode(
            random_crops(self.frames, 512, self.args.size,
                         self.rng)).flatten(0, 2)
        self.model.quantize.embedding.weight.copy_(
            kmeans(encodings, self.args.codebook, self.generator))
        self.codebook_ready = True

    def train_step(self, quantise: bool) -> Dict[str, float]:
        """One optimiser step; returns its losses."""
        args = self.args
        images = random_crops(self.frames, args.batch_size, args.size,
                              self.rng)
        recon, vq_loss, codes, encodings = self.model(images, quantise)
        rec_loss = (recon - images).pow(2).mean()
        self.optimizer.zero_grad()
        (rec_loss + vq_loss).backward()
        self.optimizer.step()
        self.step += 1
        if not quantise:
            return dict(reconstruction=rec_loss.item())
        self.used[codes] = True
        if args.restart_every and \
                (self.step - args.ae_steps) % args.restart_every == 0:
            self.restart_unused(encodings.detach())
        return dict(reconstruction=rec_loss.item(), vq=vq_loss.item())

    @torch.no_grad()
    def restart_unused(self, encodings: torch.Tensor) -> None:
        """Move the codes unused since the last restart to random ones of
        the (P, E) encodings."""
        unused = (~self.used).nonzero().flatten()
        pick = torch.randint(len(encodings), (len(unused), ),
                             generator=self.generator)
        self.model.quantize.embedding.weight[unused] = encodings[pick]
        self.restarted += len(unused)
        self.used[:] = False

    def run_stage(self, name: str, end: int, state_path: str) -> None:
        """Train up to step ``end`` with a progress bar, saving the state
        every ``--save-every`` steps and at the end.

        Args:
            name (str): ``'autoencoder'`` or ``'vq'`` (with quantisation).
            end (int): The step the stage ends after.
            state_path (str): Where the state is saved.
        """
        if self.step >= end:
            return
        quantise = name == 'vq'
        begin = self.args.ae_steps if quantise else 0
        every = self.args.save_every
        with tqdm(total=end - begin, initial=self.step - begin, desc=name,
                  unit='step') as bar:
            while self.step < end:
                losses = self.train_step(quantise)
                bar.set_postfix(
                    {k: f'{v:.4f}'
                     for k, v in losses.items()}, refresh=False)
                bar.update()
                if self.step == end or (every and self.step % every == 0):
                    save_torch(state_path, self.state_dict())


def train(args: argparse.Namespace) -> Dict[str, float]:
    """Train (or resume), evaluate and save; returns the held-out metrics.

    Raises:
        ValueError: If ``--resume`` finds a state saved with other settings.
    """
    state_path = osp.join(args.out_dir, STATE_NAME)
    saved = None
    if args.resume and osp.isfile(state_path):
        saved = load_state(state_path, result_settings(args))
    elif args.resume:
        print(f'{state_path} not found: starting afresh.', flush=True)
    elif osp.isfile(state_path):
        print(f'{state_path} exists: starting afresh (add --resume to '
              'continue it).', flush=True)
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

    run = Training(args, train_frames, rng, generator)
    total = args.ae_steps + args.steps
    if saved is not None:
        run.load_state_dict(saved)
        print(f'resuming from {state_path} after step {run.step}/{total}',
              flush=True)
    run.run_stage('autoencoder', args.ae_steps, state_path)
    if not run.codebook_ready:
        start = time.monotonic()
        run.init_codebook()
        save_torch(state_path, run.state_dict())
        print(f'k-means codebook: {args.codebook} codes, '
              f'{time.monotonic() - start:.1f} s', flush=True)
    run.run_stage('vq', total, state_path)

    model = run.model
    with torch.no_grad():
        model.quantize.embedding.weight.copy_(model.codebook())
    metrics = evaluate(model, eval_images, args.codebook)
    metrics.update(restarted_codes=run.restarted,
                   wall_s=time.monotonic() - run.started)
    meta = dict(ddconfig=run.config, embed_dim=args.embed_dim,
                n_embed=args.codebook, held_out_videos=len(held_out),
                **metrics)

    def write_json(tmp: str) -> None:
        with open(tmp, 'w') as f:
            json.dump(meta, f, indent=1)

    atomic_write(osp.join(args.out_dir, 'vq_tokenizer.json'), write_json)
    # Last: tools/analysis/study.py takes it for a finished run.
    save_torch(osp.join(args.out_dir, 'vq_tokenizer.pth'),
               {'state_dict': model.state_dict(), 'meta': meta})
    os.remove(state_path)
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

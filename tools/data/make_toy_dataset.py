"""Generate the embedded toy video dataset whose classes differ only by motion.

Every video shows a random textured background seen through a slowly panning
camera, plus one or two random textured objects. Colours, textures, shapes,
sizes and positions are all random, so the only cue that separates the classes
is *how the objects move*. This makes the dataset a cheap sanity check for
motion-centric pre-training: an appearance-only model cannot solve it.

Pre-training uses ``train_list.txt`` and ignores the label column (MMAction2's
``VideoDataset`` requires one, so the list files always carry it).

Usage:
    python tools/data/make_toy_dataset.py OUT_DIR [--videos-per-class N]
        [--val-per-class N] [--frames N] [--height H] [--width W] [--fps F]
        [--seed S] [--max-pan P] [--plain]
"""
import argparse
import math
import os
import time

import cv2
import numpy as np

CLASSES = ('move_left', 'move_right', 'move_up', 'move_down', 'rotate_cw',
           'rotate_ccw', 'approach', 'recede', 'bounce')
# Unit direction (dx, dy) of the translation classes, in image coordinates.
_DIRECTIONS = {'move_left': (-1, 0), 'move_right': (1, 0),
               'move_up': (0, -1), 'move_down': (0, 1)}
MAX_PAN = 1.0  # px/frame, default bound of the camera pan speed.


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cell: int,
                  channels: int = 1) -> np.ndarray:
    """Noise in [0, 1] of shape (h, w, channels) with ~``cell`` px blobs."""
    grid = (max(2, h // cell + 2), max(2, w // cell + 2), channels)
    small = rng.random(grid, dtype=np.float32)
    big = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    big = big.reshape(h, w, channels)
    lo, hi = big.min(), big.max()
    return (big - lo) / max(hi - lo, 1e-6)


def _textured(rng: np.random.Generator, h: int, w: int, cell: int,
              plain: bool = False) -> np.ndarray:
    """Float32 RGB texture (0..255) mixing two random colours with noise.

    ``plain`` leaves out the fine grain (smooth blobs only).
    """
    c1, c2 = rng.uniform(0, 255, (2, 3)).astype(np.float32)
    t = _smooth_noise(rng, h, w, cell)
    tex = c1 * (1 - t) + c2 * t
    if not plain:
        # Fine grain gives optical flow something to lock onto at every
        # scale.
        tex += rng.normal(0, 12, (h, w, 1)).astype(np.float32)
    return tex


def _make_object(rng: np.random.Generator, side: int,
                 plain: bool = False) -> tuple[np.ndarray, np.ndarray,
                                               np.ndarray]:
    """Random textured sprite of ``side`` x ``side`` px (``plain``: smooth
    blobs, no grain and no stripes).

    Returns:
        Float32 texture (side, side, 3), float32 alpha mask (side, side) and
        the mask's half extents (x, y) about the sprite centre, in px.
    """
    tex = _textured(rng, side, side, int(rng.integers(3, 7)), plain)
    # Stripes make rotation and scaling visible even on low-contrast noise.
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32)
    theta, period = rng.uniform(0, np.pi), rng.uniform(5, 10)
    phase = (xx * np.cos(theta) + yy * np.sin(theta)) * 2 * np.pi / period
    if not plain:
        tex += (40 * np.sin(phase))[..., None]
    mask = np.zeros((side, side), np.uint8)
    c, r = side // 2, side // 2 - 1
    shape = rng.integers(3)
    if shape == 0:  # rectangle with random aspect ratio
        hw, hh = (int(r * rng.uniform(lo, lo + 0.4)) for lo in (0.6, 0.4))
        cv2.rectangle(mask, (c - hw, c - hh), (c + hw, c + hh), 255, -1)
    elif shape == 1:  # ellipse, non-circular so rotation is observable
        axes = (int(r * rng.uniform(0.7, 1.0)), int(r * rng.uniform(0.4, 0.7)))
        tilt = float(rng.uniform(0, 180))
        cv2.ellipse(mask, (c, c), axes, tilt, 0, 360, 255, -1)
    else:  # random star-ish polygon
        n = int(rng.integers(5, 9))
        # Jittered, evenly spread vertices: never a degenerate sliver.
        ang = (np.arange(n) + rng.uniform(-0.3, 0.3, n)) * 2 * np.pi / n
        rad = r * rng.uniform(0.5, 1.0, n)
        pts = np.stack([c + rad * np.cos(ang), c + rad * np.sin(ang)], 1)
        cv2.fillPoly(mask, [pts.round().astype(np.int32)], 255)
    ys, xs = np.nonzero(mask)
    half = np.array([np.abs(xs - side / 2).max(),
                     np.abs(ys - side / 2).max()]) + 1.0
    return tex, mask.astype(np.float32) / 255.0, half


def _object_track(cls: str, rng: np.random.Generator, t: np.ndarray,
                  pan: np.ndarray, size: tuple[int, int], side: int,
                  half: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per-frame image-space (cx, cy, angle_deg, scale) of one sprite.

    Args:
        cls: Class name, which decides the motion.
        rng: Generator for the motion parameters.
        t: Frame indices as float, shape (T,).
        pan: Camera offset per frame, (T, 2). Sprites live in the panning
            world, so they drift with the background on top of their motion.
        size: Frame (height, width).
        side: Sprite box size in px.
        half: Visible half extents (x, y) of the sprite at scale 1.
    """
    h, w = size
    n = len(t)
    angle, scale = np.zeros(n), np.full(n, rng.uniform(0.8, 1.0))
    r = side / 2
    ex, ey = np.abs(pan).max(0)  # pan travel either side of the mid frame

    def pos(lo: float, hi: float, extent: float) -> float:
        # Shrink the range by the pan travel so the sprite stays on screen
        # for the whole clip; fall back to the centre if nothing is left.
        lo, hi = lo + extent, hi - extent
        return rng.uniform(lo, hi) if lo < hi else (lo + hi) / 2

    cx = np.full(n, pos(r, w - r, ex)) - pan[:, 0]
    cy = np.full(n, pos(r, h - r, ey)) - pan[:, 1]
    if cls in _DIRECTIONS:
        dx, dy = _DIRECTIONS[cls]
        speed = rng.uniform(1.5, 3.5)
        # Wrap around the frame (the sprite leaves, then re-enters on the other
        # side) so the speed range need not shrink to fit the clip length and
        # the direction stays consistent for the whole video. Wrapping at the
        # visible extent keeps part of the sprite on screen at all times.
        # Speed exceeds the pan, so the on-screen direction matches the class.
        ax = 0 if dx else 1
        e, dim = half[ax] * scale[0], (w, h)[ax]
        start = rng.uniform(-e, dim + e)
        track = start + (dx + dy) * speed * t - pan[:, ax] + e
        track %= dim + 2 * e
        cx, cy = (track - e, cy) if ax == 0 else (cx, track - e)
    elif cls in ('rotate_cw', 'rotate_ccw'):
        # cv2 angles are counter-clockwise on screen, hence the sign.
        sign = -1.0 if cls == 'rotate_cw' else 1.0
        angle = rng.uniform(0, 360) + sign * rng.uniform(3, 8) * t
    elif cls in ('approach', 'recede'):
        # Saw-tooth in log-scale: grow (or shrink) steadily, reset when out of
        # range, so long clips neither explode nor vanish.
        rate = math.log1p(rng.uniform(0.015, 0.03))
        rate = rate if cls == 'approach' else -rate
        lo, hi = math.log(0.5), math.log(1.4)
        scale = np.exp(lo + (rng.uniform(0, hi - lo) + rate * t) % (hi - lo))
    elif cls == 'bounce':
        amp, period = rng.uniform(0.2, 0.35) * h, rng.uniform(10, 20)
        floor = pos(amp + 0.6 * r, h - 0.6 * r, ey)
        hop = amp * np.abs(np.sin(np.pi * (t / period + rng.uniform())))
        cy = floor - hop - pan[:, 1]
    else:
        raise ValueError(f'unknown class {cls!r}')
    return cx, cy, angle, scale


def render_video(cls: str, rng: np.random.Generator, num_frames: int,
                 size: tuple[int, int],
                 max_pan: float = MAX_PAN,
                 plain: bool = False) -> np.ndarray:
    """Render one video of class ``cls``.

    Args:
        cls: One of :data:`CLASSES`.
        rng: Generator that fixes every random choice of the video.
        num_frames: Number of frames T.
        size: Frame (height, width).
        max_pan: Bound of the camera pan speed in px/frame; 0 gives a static
            camera.
        plain: Smooth textures only: no fine grain on the background and
            objects, no stripes on the objects.

    Returns:
        uint8 RGB frames of shape (T, H, W, 3).
    """
    h, w = size
    t = np.arange(num_frames, dtype=np.float64)
    # Background larger than the frame by the maximum pan travel so the crop
    # never reaches the border; the pan is centred on the background middle.
    margin = int(math.ceil(max_pan * (num_frames - 1) / 2)) + 2
    bg = _textured(rng, h + 2 * margin, w + 2 * margin,
                   int(rng.integers(8, 20)), plain)
    pan_ang = rng.uniform(0, 2 * np.pi)
    pan_speed = rng.uniform(0.2, 1.0) * max_pan
    pan_dir = np.array([np.cos(pan_ang), np.sin(pan_ang)])
    pan = pan_speed * pan_dir * (t - (num_frames - 1) / 2)[:, None]
    objects = []
    for _ in range(int(rng.integers(1, 3))):
        side = int(rng.integers(14, 27)) * 2
        tex, mask, half = _make_object(rng, side, plain)
        track = _object_track(cls, rng, t, pan, (h, w), side, half)
        objects.append((tex, mask, side, track))
    frames = np.empty((num_frames, h, w, 3), np.uint8)
    for i in range(num_frames):
        # Bilinear crop gives the sub-pixel pan; objects are alpha-blended.
        m_bg = np.float32([[1, 0, margin + pan[i, 0]],
                           [0, 1, margin + pan[i, 1]]])
        frame = cv2.warpAffine(bg, m_bg, (w, h),
                               flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
        for tex, mask, side, (cx, cy, ang, sc) in objects:
            m = cv2.getRotationMatrix2D((side / 2, side / 2), float(ang[i]),
                                        float(sc[i]))
            m[:, 2] += (cx[i] - side / 2, cy[i] - side / 2)
            spr = cv2.warpAffine(tex, m, (w, h), flags=cv2.INTER_LINEAR)
            alpha = cv2.warpAffine(mask, m, (w, h),
                                   flags=cv2.INTER_LINEAR)[..., None]
            frame = frame * (1 - alpha) + spr * alpha
        frames[i] = np.clip(frame, 0, 255).astype(np.uint8)
    return frames


def _write_video(path: str, frames: np.ndarray, fps: int) -> None:
    """Write RGB frames as mp4v and check that decord reads them back.

    mp4v because pip wheels of OpenCV cannot encode H.264.
    """
    import decord  # deferred: only needed when actually writing files
    h, w = frames.shape[1:3]
    fourcc = cv2.VideoWriter_fourcc(*'mp4v')
    writer = cv2.VideoWriter(path, fourcc, fps, (w, h))
    if not writer.isOpened():
        raise RuntimeError(f'cv2.VideoWriter could not open {path}')
    for f in frames:
        writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    writer.release()
    vr = decord.VideoReader(path)
    shape = vr[0].shape if len(vr) else None
    if len(vr) != len(frames) or shape != (h, w, 3):
        raise RuntimeError(
            f'{path}: decord read {len(vr)} frames of shape {shape}, '
            f'expected {len(frames)} of {(h, w, 3)}')


def make_toy_dataset(out_dir: str, num_videos_per_class: int = 8,
                     num_val_per_class: int = 2, num_frames: int = 48,
                     size: tuple[int, int] = (96, 128), fps: int = 12,
                     seed: int = 0, max_pan: float = MAX_PAN,
                     plain: bool = False) -> dict:
    """Generate the toy motion dataset in MMAction2 ``VideoDataset`` format.

    Args:
        out_dir: Output directory (created if missing).
        num_videos_per_class: Training videos per class.
        num_val_per_class: Validation videos per class.
        num_frames: Frames per video.
        size: Frame size as (height, width).
        fps: Frame rate stored in the container.
        seed: Master seed; the same seed reproduces identical frames.
        max_pan: Bound of the camera pan speed in px/frame (0: static).
        plain: Smooth textures only (see :func:`render_video`).

    Returns:
        Dict with ``train_list``, ``val_list``, ``classes_file`` paths, the
        ``classes`` list and ``num_videos``.

    Raises:
        ValueError: If the size is too small or one decord 0.6.0 misreads.
        RuntimeError: If a written video does not decode as expected.
    """
    h, w = size
    # decord 0.6.0 guesses the channel count from the padded row stride and
    # silently returns 4-6 channel frames for widths 16, 24, 48 and 72;
    # multiples of 16 from 64 up avoid every width known to break.
    if w % 16 or w < 64:
        raise ValueError(f'width must be a multiple of 16 and >= 64, got {w}')
    if h % 2 or h < 32:
        raise ValueError(f'height must be even and >= 32, got {h}')
    if num_frames < 2:
        raise ValueError('num_frames must be >= 2')
    if max_pan < 0:
        raise ValueError(f'max_pan must be >= 0, got {max_pan}')
    lists = {'train': [], 'val': []}
    for label, cls in enumerate(CLASSES):
        os.makedirs(os.path.join(out_dir, 'videos', cls), exist_ok=True)
        for idx in range(num_videos_per_class + num_val_per_class):
            # Seed per (seed, class, index) so a video does not change when
            # the number of videos per class changes.
            rng = np.random.default_rng([seed, label, idx])
            rel = f'videos/{cls}/{cls}_{idx:03d}.mp4'
            _write_video(os.path.join(out_dir, rel),
                         render_video(cls, rng, num_frames, (h, w), max_pan,
                                      plain),
                         fps)
            split = 'train' if idx < num_videos_per_class else 'val'
            lists[split].append(f'{rel} {label}')
    out = {'classes': list(CLASSES),
           'num_videos': len(lists['train']) + len(lists['val'])}
    for split, lines in lists.items():
        out[f'{split}_list'] = os.path.join(out_dir, f'{split}_list.txt')
        with open(out[f'{split}_list'], 'w') as f:
            f.write(''.join(line + '\n' for line in lines))
    out['classes_file'] = os.path.join(out_dir, 'classes.txt')
    with open(out['classes_file'], 'w') as f:
        f.write(''.join(c + '\n' for c in CLASSES))
    return out


def main() -> None:
    """CLI entry point."""
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('out_dir')
    p.add_argument('--videos-per-class', type=int, default=8)
    p.add_argument('--val-per-class', type=int, default=2)
    p.add_argument('--frames', type=int, default=48)
    p.add_argument('--height', type=int, default=96)
    p.add_argument('--width', type=int, default=128)
    p.add_argument('--fps', type=int, default=12)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--max-pan', type=float, default=MAX_PAN,
                   help='bound of the camera pan speed, px/frame (0: static)')
    p.add_argument('--plain', action='store_true',
                   help='smooth textures only: no fine grain, no stripes')
    a = p.parse_args()
    start = time.time()
    info = make_toy_dataset(a.out_dir, a.videos_per_class, a.val_per_class,
                            a.frames, (a.height, a.width), a.fps, a.seed,
                            a.max_pan, a.plain)
    print(f'wrote {info["num_videos"]} videos '
          f'({len(info["classes"])} classes) to {a.out_dir} '
          f'in {time.time() - start:.1f}s')
    for key in ('train_list', 'val_list', 'classes_file'):
        print(f'  {key}: {info[key]}')


if __name__ == '__main__':
    main()

"""Tests for tools/data/make_toy_dataset.py (the embedded toy dataset)."""
import importlib.util
from pathlib import Path

import cv2
import decord
import numpy as np
import pytest

_SCRIPT = Path(__file__).parents[2] / 'tools/data/make_toy_dataset.py'
_spec = importlib.util.spec_from_file_location('make_toy_dataset', _SCRIPT)
mtd = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mtd)

N_TRAIN, N_VAL, N_FRAMES, SIZE = 2, 1, 16, (96, 128)


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    out = tmp_path_factory.mktemp('toy')
    info = mtd.make_toy_dataset(str(out), N_TRAIN, N_VAL, N_FRAMES, SIZE,
                                seed=0)
    return out, info


def _read_list(path):
    rows = [ln.split() for ln in Path(path).read_text().splitlines()]
    return [(p, int(lbl)) for p, lbl in rows]


def _decode(path):
    return decord.VideoReader(str(path)).get_batch(
        list(range(N_FRAMES))).asnumpy()


def _object_motion(frames):
    """Mean (dx, dy) of the pixels moving relative to the camera pan.

    Camera pan is the median flow (the background dominates the frame); the
    residual flow of the strongly moving pixels is the foreground motion.
    """
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    per_pair = []
    for a, b in zip(grey[:-1], grey[1:]):
        flow = dis.calc(a, b, None)
        res = flow - np.median(flow.reshape(-1, 2), axis=0)
        moving = np.linalg.norm(res, axis=-1) > 0.8
        if moving.sum() > 30:  # skip pairs where objects are off-screen
            per_pair.append(res[moving].mean(0))
    assert len(per_pair) >= len(frames) // 4, 'too few frames with motion'
    return np.median(np.array(per_pair), axis=0)


def test_lists_and_files(toy):
    out, info = toy
    classes = (out / 'classes.txt').read_text().splitlines()
    assert classes == info['classes'] == list(mtd.CLASSES)
    assert len(classes) >= 6 and len(set(classes)) == len(classes)
    train, val = _read_list(info['train_list']), _read_list(info['val_list'])
    assert Path(info['train_list']) == out / 'train_list.txt'
    assert Path(info['val_list']) == out / 'val_list.txt'
    assert len(train) == N_TRAIN * len(classes)
    assert len(val) == N_VAL * len(classes)
    assert info['num_videos'] == len(train) + len(val)
    assert not {p for p, _ in train} & {p for p, _ in val}
    for rel, label in train + val:
        assert 0 <= label < len(classes)
        assert (out / rel).is_file()
        # Label must agree with the class folder the video is stored in.
        assert rel.startswith(f'videos/{classes[label]}/{classes[label]}_')
        assert rel.endswith('.mp4')
    for split in (train, val):
        counts = np.bincount([lbl for _, lbl in split], minlength=len(classes))
        assert len(set(counts.tolist())) == 1  # balanced classes


def test_videos_decode(toy):
    out, info = toy
    for rel, _ in _read_list(info['train_list']) + _read_list(
            info['val_list']):
        vr = decord.VideoReader(str(out / rel))
        assert len(vr) == N_FRAMES
        frame = vr[len(vr) - 1].asnumpy()
        assert frame.shape == (*SIZE, 3)
        assert frame.std() > 5  # not a blank / garbled frame


def test_deterministic(tmp_path):
    kw = dict(num_videos_per_class=1, num_val_per_class=0,
              num_frames=N_FRAMES, size=SIZE)
    for name, seed in (('a', 3), ('b', 3), ('c', 4)):
        mtd.make_toy_dataset(str(tmp_path / name), seed=seed, **kw)
    rel = 'videos/rotate_cw/rotate_cw_000.mp4'
    a, b, c = (_decode(tmp_path / n / rel) for n in 'abc')
    np.testing.assert_array_equal(a, b)
    assert np.abs(a.astype(int) - c.astype(int)).mean() > 10
    # The raw rendered frames (before encoding) are byte-identical too.
    r1, r2 = (mtd.render_video('bounce', np.random.default_rng(7), 8, SIZE)
              for _ in range(2))
    assert r1.dtype == np.uint8 and r1.tobytes() == r2.tobytes()


@pytest.mark.parametrize('cls,axis,sign', [('move_right', 0, 1),
                                           ('move_left', 0, -1),
                                           ('move_down', 1, 1),
                                           ('move_up', 1, -1)])
def test_motion_is_class_dependent(toy, cls, axis, sign):
    out, _ = toy
    for idx in range(N_TRAIN):
        frames = _decode(out / f'videos/{cls}/{cls}_{idx:03d}.mp4')
        motion = _object_motion(frames)
        # Objects move 1.5-3.5 px/frame along the class axis, minus at most
        # 1 px/frame of pan; demand a clear majority of that on the right axis.
        assert sign * motion[axis] > 0.5, (cls, idx, motion)
        assert abs(motion[axis]) > abs(motion[1 - axis]), (cls, idx, motion)


def test_static_classes_have_no_translation(toy):
    out, _ = toy
    for cls in ('rotate_cw', 'rotate_ccw'):
        frames = _decode(out / f'videos/{cls}/{cls}_000.mp4')
        dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
        flows = [dis.calc(a, b, None) for a, b in zip(grey[:-1], grey[1:])]
        res = np.stack([f - np.median(f.reshape(-1, 2), 0) for f in flows])
        assert np.abs(res.mean((0, 1, 2))).max() < 0.5, cls


@pytest.mark.parametrize('size', [(96, 72), (96, 48), (96, 130)])
def test_invalid_width_raises(tmp_path, size):
    with pytest.raises(ValueError):
        mtd.make_toy_dataset(str(tmp_path), 1, 0, 4, size)


def _static_fraction(frames):
    """Fraction of pixels equal in the first and the last frame."""
    return np.all(frames[0] == frames[-1], axis=-1).mean()


@pytest.mark.parametrize('cls', ['rotate_ccw', 'move_left'])
def test_max_pan_zero_gives_a_static_camera(cls):
    # Same scene (same rng) with and without a pan: a static camera leaves
    # the background, most of the frame, exactly unchanged; a pan of at least
    # 0.2 px/frame resamples nearly every pixel.
    static, panned = (mtd.render_video(cls, np.random.default_rng(3), 8, SIZE,
                                       max_pan=p) for p in (0., 1.))
    assert _static_fraction(static) > 0.8
    assert _static_fraction(panned) < 0.05


def test_negative_max_pan_raises(tmp_path):
    with pytest.raises(ValueError, match='max_pan'):
        mtd.make_toy_dataset(str(tmp_path), 1, 0, 4, SIZE, max_pan=-1.)


def _fine_detail(frames):
    """Mean absolute difference of horizontally adjacent pixels."""
    return np.abs(np.diff(frames.astype(np.float32), axis=2)).mean()


@pytest.mark.parametrize('cls', ['move_up', 'rotate_cw'])
def test_plain_leaves_out_the_fine_grain(cls):
    # The default's grain (sigma 12 per pixel) gives adjacent pixels a mean
    # absolute difference near 10 (13.5 before clipping and resampling);
    # plain textures are smooth blobs whose neighbours differ by about 3.
    grainy, plain = (mtd.render_video(cls, np.random.default_rng(5), 4, SIZE,
                                      plain=p) for p in (False, True))
    assert _fine_detail(grainy) > 7
    assert _fine_detail(plain) < 4

"""Hand-computed tests for the per-channel HOG target of MME.

Sobel facts used below: across a unit step the 3x3 Sobel kernel gives 4 at
the two pixels adjacent to the step (1 + 2 + 1 rows times a difference of 1)
and 0 elsewhere; on a linear ramp ``f = a*x + b*y`` it gives ``gx = 8a`` and
``gy = 8b`` away from the borders.
"""
import math

import pytest
import torch
from mmaction.registry import MODELS

from mme_mmaction.models.target_generators import HOGGenerator


def _video(frame: torch.Tensor, T: int = 2) -> torch.Tensor:
    """Repeat one (H, W) frame into a (1, 3, T, H, W) clip."""
    return frame.expand(1, 3, T, *frame.shape).clone()


def _cells(out: torch.Tensor) -> torch.Tensor:
    """(B, N, 108) -> (B, N, colour, bin, h2, w2)."""
    return out.view(*out.shape[:2], 3, 9, 2, 2)


@pytest.mark.parametrize('rising', [True, False])
def test_vertical_edge_votes_bin_zero(rising):
    """theta = atan2(gy, gx) mod pi (docs/method.md §5): a vertical edge has a
    horizontal gradient, theta 0."""
    frame = torch.zeros(16, 16)
    frame[:, 8:] = 1  # gx = 4 in columns 7 and 8, one per 8x8 cell
    if not rising:
        frame = 1 - frame  # atan2(0, -4) = pi must wrap to bin 0 as well
    cells = _cells(HOGGenerator().targets(_video(frame)))
    assert cells.shape == (1, 1, 3, 9, 2, 2)
    expected = torch.zeros(3, 9, 2, 2)
    expected[:, 0] = 0.5  # mean magnitude 4 * 8 / 64, not zero
    torch.testing.assert_close(cells[0, 0], expected, atol=1e-5, rtol=0)


def test_vertical_edge_index_order():
    frame = torch.zeros(16, 16)
    frame[:, 4:] = 1  # gx = 4 in columns 3 and 4, both in cells w2 = 0
    cells = _cells(HOGGenerator().targets(_video(frame)))[0, 0]
    expected = torch.zeros(3, 9, 2, 2)
    expected[:, 0, :, 0] = 1.0  # mean magnitude 2 * 8 * 4 / 64
    torch.testing.assert_close(cells, expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize('rising', [True, False])
def test_horizontal_edge_splits_between_80_and_100_degrees(rising):
    frame = torch.zeros(16, 16)
    frame[4:] = 1  # gy = +-4 in rows 3 and 4, both in cells h2 = 0
    if not rising:
        frame = 1 - frame  # atan2(-4, 0) = -90 deg = 90 deg mod 180
    cells = _cells(HOGGenerator().targets(_video(frame)))[0, 0]
    # Mean magnitude 2 * 8 * 4 / 64 = 1; 90 deg lies half-way between the
    # bin centres 80 deg (bin 4) and 100 deg (bin 5).
    expected = torch.zeros(3, 9, 2, 2)
    expected[:, 4, 0, :] = 0.5
    expected[:, 5, 0, :] = 0.5
    torch.testing.assert_close(cells, expected, atol=1e-5, rtol=0)


def _interior_cells(out: torch.Tensor) -> torch.Tensor:
    """Cells not touching the border of a 32x32 frame: (4, 3, 9)."""
    c = _cells(out)[0]
    return torch.stack([c[0, :, :, 1, 1], c[1, :, :, 1, 0],
                        c[2, :, :, 0, 1], c[3, :, :, 0, 0]])


@pytest.mark.parametrize('deg,sign_y,bins', [(45, 1, (2, 3)),
                                             (135, -1, (7, 6))])
def test_diagonal_ramp_splits_linearly(deg, sign_y, bins):
    ys, xs = torch.meshgrid(torch.arange(32.), torch.arange(32.),
                            indexing='ij')
    # gx = 8, gy = 8 * sign_y -> theta = 45 or 135 deg, b = 2.25 or 6.75
    cells = _interior_cells(HOGGenerator().targets(_video(xs + sign_y * ys)))
    major, minor = cells[..., bins[0]], cells[..., bins[1]]
    mag = 8 * math.sqrt(2)
    torch.testing.assert_close(major, torch.full_like(major, 0.75 * mag))
    torch.testing.assert_close(minor, torch.full_like(minor, 0.25 * mag))
    torch.testing.assert_close(major / minor, torch.full_like(major, 3.))
    others = [b for b in range(9) if b not in bins]
    assert cells[..., others].abs().max() < 1e-5


def test_orientation_wraps_from_last_bin_to_first():
    ys, xs = torch.meshgrid(torch.arange(32.), torch.arange(32.),
                            indexing='ij')
    t = math.radians(170)  # b = 8.5: half to bin 8 (160), half to bin 0
    # gx = 8 cos t, gy = 8 sin t: theta = t.
    cells = _interior_cells(
        HOGGenerator().targets(_video(math.cos(t) * xs + math.sin(t) * ys)))
    half = torch.full(cells.shape[:2], 4.)  # magnitude 8 split equally
    torch.testing.assert_close(cells[..., 8], half, atol=1e-4, rtol=0)
    torch.testing.assert_close(cells[..., 0], half, atol=1e-4, rtol=0)
    assert cells[..., 1:8].abs().max() < 1e-5


def test_only_last_frame_of_each_tubelet_and_token_order():
    torch.manual_seed(0)
    video = torch.randn(1, 3, 4, 32, 32)
    hog = HOGGenerator()
    ref = hog.targets(video)
    assert ref.shape == (1, 8, 108) and hog.out_channels == 108

    for frame in (0, 2):
        changed = video.clone()
        changed[:, :, frame] = torch.randn(1, 3, 32, 32)
        torch.testing.assert_close(hog.targets(changed), ref, atol=0, rtol=0)

    # frame 3 belongs to t' = 1: only tokens 4..7 may change (t slowest)
    changed = video.clone()
    changed[:, :, 3] += 1 + torch.rand(1, 3, 32, 32)
    diff = (hog.targets(changed) - ref).abs().amax(-1)[0]
    assert (diff[:4] == 0).all() and (diff[4:] > 0).all()

    # a blob inside the top-right patch of frame 1 touches token (0, 0, 1)
    changed = video.clone()
    changed[:, :, 1, 4:12, 20:28] += 5
    diff = (hog.targets(changed) - ref).abs().amax(-1)[0]
    assert diff[1] > 0 and (diff[[0, 2, 3, 4, 5, 6, 7]] == 0).all()


def test_no_grad_and_autocast_matches_fp32():
    torch.manual_seed(0)
    video = torch.randn(1, 3, 2, 16, 16, requires_grad=True)
    hog = HOGGenerator()
    ref = hog.targets(video)
    assert not ref.requires_grad
    assert len(list(hog.parameters())) == 0 and not hog.state_dict()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = hog.targets(video)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=0)


def test_channels_are_independent():
    torch.manual_seed(0)
    video = torch.zeros(1, 3, 2, 16, 16)
    video[:, 2] = torch.randn(2, 16, 16)
    cells = _cells(HOGGenerator().targets(video))
    assert (cells[:, :, :2] == 0).all()
    assert cells[:, :, 2].abs().sum() > 0


def test_invalid_shapes_raise():
    with pytest.raises(ValueError, match='pool'):
        HOGGenerator(pool=6)
    hog = HOGGenerator()
    with pytest.raises(ValueError, match='patch_size'):
        hog.targets(torch.zeros(1, 3, 2, 24, 16))
    with pytest.raises(ValueError, match='tubelet_size'):
        hog.targets(torch.zeros(1, 3, 3, 16, 16))
    with pytest.raises(ValueError, match='shape'):
        hog.targets(torch.zeros(1, 1, 2, 16, 16))


def test_build_from_registry():
    hog = MODELS.build(dict(type='HOGGenerator'))
    assert isinstance(hog, HOGGenerator) and hog.out_channels == 108
    hog = MODELS.build(dict(type='HOGGenerator', nbins=6, pool=4))
    assert hog.out_channels == 3 * 6 * 16
    assert hog.targets(torch.zeros(1, 3, 2, 16, 16)).shape == (1, 1, 288)

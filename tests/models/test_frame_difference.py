"""FrameDifferenceTarget by hand (docs/siblings.md §1.4, §4.2)."""
import pytest
import torch

from mme_mmaction.models import FrameDifferenceTarget, PixelTargetGenerator


def ramp(frames=4):
    """(1, 3, T, 2, 2) clip whose frame k is k^2 everywhere."""
    t = torch.arange(frames, dtype=torch.float32)**2
    return t.reshape(1, 1, -1, 1, 1).expand(1, 3, -1, 2, 2).clone()


def per_frame(target, frames=2, positions=4, channels=3):
    """(N, frames) of a target that is constant within each frame."""
    values = target[0].reshape(len(target[0]), frames, positions, channels)
    assert (values == values[..., :1, :1]).all()
    return values[..., 0, 0]


def test_backward_differences_with_the_first_map_copied():
    target = FrameDifferenceTarget(patch_size=2).targets(ramp())
    # D1 = 1 - 0, D2 = 4 - 1, D3 = 9 - 4, D0 = D1: tokens hold (D0, D1)
    # and (D2, D3).
    assert target.shape == (1, 2, 2 * 2 * 2 * 3)
    assert per_frame(target).tolist() == [[1., 1.], [3., 5.]]


def test_gap_two_copies_the_first_two_maps():
    target = FrameDifferenceTarget(patch_size=2, gap=2).targets(ramp())
    # D2 = 4 - 0, D3 = 9 - 1, D0 = D1 = D2.
    assert per_frame(target).tolist() == [[4., 4.], [4., 8.]]


def test_absolute_and_per_tubelet():
    generator = FrameDifferenceTarget(patch_size=2, absolute=True)
    assert per_frame(generator.targets(-ramp())).tolist() == [[1., 1.],
                                                              [3., 5.]]
    tubelet = FrameDifferenceTarget(patch_size=2, per_tubelet=True)
    target, weight = tubelet(ramp())
    assert weight is None
    # x1 - x0 and x3 - x2, one map per token.
    assert tubelet.out_channels == 2 * 2 * 3 == target.shape[-1]
    assert per_frame(target, frames=1).tolist() == [[1.], [5.]]


def test_values_are_laid_out_like_the_pixel_target():
    video = torch.zeros(1, 3, 4, 2, 2)
    video[0, 2, 3, 1, 0] = 7.  # frame 3, (h, w) = (1, 0), colour 2
    target = FrameDifferenceTarget(patch_size=2).targets(video)
    # Only D3 = x3 - x2 sees it: token 1, value (frame 1, p1 1, p2 0, c 2).
    assert target[0, 1, ((1 * 2 + 1) * 2 + 0) * 3 + 2] == 7.
    assert target.abs().sum() == 7.
    pixels = PixelTargetGenerator(patch_size=2,
                                  normalize=False).targets(video)
    assert torch.equal(pixels.nonzero(), target.nonzero())


def test_patch_norm_standardises_each_token_and_colour():
    video = torch.randn(1, 3, 4, 4, 4)
    target = FrameDifferenceTarget(patch_size=2,
                                   patch_norm=True).targets(video)
    values = target.reshape(1, 8, 8, 3)
    torch.testing.assert_close(values.mean(2), torch.zeros(1, 8, 3),
                               atol=1e-5, rtol=0)


def test_bad_settings_and_clips_are_named():
    with pytest.raises(ValueError, match='gap must be at least 1'):
        FrameDifferenceTarget(gap=0)
    with pytest.raises(ValueError, match='per_tubelet needs tubelet_size'):
        FrameDifferenceTarget(tubelet_size=1, per_tubelet=True)
    with pytest.raises(ValueError, match='2 frames has no difference at '
                       'gap=2'):
        FrameDifferenceTarget(patch_size=2, gap=2).targets(ramp(frames=2))
    with pytest.raises(ValueError, match='does not divide into 2x2x2'):
        FrameDifferenceTarget(patch_size=2).targets(torch.zeros(1, 3, 4, 3, 2))

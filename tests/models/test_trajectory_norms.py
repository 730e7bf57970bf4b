import math

import pytest
import torch

from mme_mmaction.models import (TRAJ_NORMS, normalize_trajectory_tokens,
                                 patch_std, trajectory_channels)


def one_token(dx, dy=(0., 0., 0., 0.)):
    """(B=1, N=1, 2, L=1, 4) displacements of one token's 4 sub-cells."""
    return torch.tensor([dx, dy], dtype=torch.float64)[None, None, :, None]


def test_faithful_patch_std_is_methods_formula():
    tokens = one_token([0., 0., 0., 1.])
    out = normalize_trajectory_tokens(tokens, 'patch_std', min_std=0.)
    # docs/method.md §4.4: 0.75 / 0.50002 for the moving cell; dy all zero.
    assert out.shape == (1, 1, 8)
    assert abs(out[0, 0, 3].item() - 0.75 / 0.50002) < 1e-9
    assert torch.equal(out[0, 0, 4:], torch.zeros(4, dtype=torch.float64))
    assert torch.equal(out, patch_std(tokens).flatten(2))


def test_none_is_displacement_in_units_of_scale():
    out = normalize_trajectory_tokens(one_token([2., -4., 0., 6.]), 'none',
                                      scale=2.)
    assert out[0, 0].tolist() == [1., -2., 0., 3., 0., 0., 0., 0.]


def test_log_compresses_magnitude_and_keeps_sign():
    e1 = math.e - 1
    out = normalize_trajectory_tokens(
        one_token([e1, -e1, 0., 3 * (math.e**2 - 1)]), 'log', scale=3.)
    # log(1 + e - 1) = 1; a third of (e^2 - 1) * 3 gives log(e^2) = 2.
    torch.testing.assert_close(
        out[0, 0, :4],
        torch.tensor([math.log1p(e1 / 3), -math.log1p(e1 / 3), 0., 2.],
                     dtype=torch.float64))


def test_patch_std_mean_keeps_the_common_motion_as_channels():
    # A rigid token moving (3, -1) px per step: PatchStd is all zero (with
    # the noise floor), the mean channels carry the motion.
    tokens = one_token([3., 3., 3., 3.], [-1., -1., -1., -1.])
    out = normalize_trajectory_tokens(tokens, 'patch_std_mean', min_std=0.5,
                                      scale=2.)
    assert out.shape == (1, 1, 10)
    assert torch.equal(out[0, 0, :8], torch.zeros(8, dtype=torch.float64))
    assert out[0, 0, 8:].tolist() == [1.5, -0.5]


@pytest.mark.parametrize('norm,channels', [('patch_std', 32), ('none', 32),
                                           ('log', 32),
                                           ('patch_std_mean', 40)])
def test_channels_match_the_targets(norm, channels):
    assert trajectory_channels(norm, traj_len=4, cells=4) == channels
    tokens = torch.randn(2, 3, 2, 4, 4)
    assert normalize_trajectory_tokens(tokens, norm).shape == (2, 3, channels)


def test_an_unknown_norm_names_the_choices():
    with pytest.raises(ValueError, match='patch_std_mean'):
        trajectory_channels('patchstd', 4, 4)
    assert set(TRAJ_NORMS) == {'patch_std', 'none', 'log', 'patch_std_mean'}

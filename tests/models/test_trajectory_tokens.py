import torch

from mme_mmaction.models import patch_std, token_validity, trajectory_tokens


def test_patch_std_of_a_single_moving_cell():
    out = patch_std(torch.tensor([0., 0., 0., 1.]).double())
    # docs/method.md §4.4: mean 0.25, unbiased std 0.5, epsilon 2e-5 px (the
    # authors' 1e-6 on displacements divided by 20): 0.75 / 0.50002.
    torch.testing.assert_close(
        out, torch.tensor([-0.49998, -0.49998, -0.49998, 1.49994]).double(),
        atol=5e-6, rtol=0)
    assert abs(out[3].item() - 0.75 / 0.50002) < 1e-9


def test_identical_sub_trajectories_give_zeros():
    same = torch.tensor([2.5, -1.0]).repeat(3, 1)[..., None].expand(3, 2, 4)
    assert torch.equal(patch_std(same), torch.zeros(3, 2, 4))


def test_patch_std_removes_common_translation_and_scale():
    v = torch.tensor([1., 2., 4., 8.])
    torch.testing.assert_close(patch_std(3 * v + 7), patch_std(v))


def test_tokens_are_in_t_h_w_order_with_c_step_h2_w2_inside():
    b, t, steps, hc, wc = 1, 2, 3, 4, 6  # 2 x 2 x 3 tokens
    traj = torch.arange(b * t * steps * 2 * hc * wc, dtype=torch.float32)
    traj = traj.reshape(b, t, steps, 2, hc, wc)
    tokens = trajectory_tokens(traj)
    assert tokens.shape == (1, 12, 2, 3, 4)
    # token (t=1, h=1, w=2), component dy, step 2, sub-cell (h2=1, w2=0)
    token = 1 * 6 + 1 * 3 + 2
    assert tokens[0, token, 1, 2, 2] == traj[0, 1, 2, 1, 3, 4]


def test_token_is_valid_if_any_sub_trajectory_is():
    valid = torch.zeros(1, 1, 4, 4, dtype=torch.bool)
    valid[0, 0, 1, 3] = True  # a sub-cell of token (h=0, w=1)
    assert token_validity(valid).tolist() == [[0., 1., 0., 0.]]


def test_noise_floor_keeps_rigid_patches_near_zero_and_others_unchanged():
    noise = torch.tensor([0.01, -0.02, 0.03, 0.0]) - 0.3  # a panning patch
    assert patch_std(noise).abs().max() > 1  # the paper's formula: noise -> 1
    assert patch_std(noise, min_std=0.5).abs().max() < 0.1
    moving = torch.tensor([0., 0., 0., 1.])
    torch.testing.assert_close(patch_std(moving, min_std=0.5),
                               patch_std(moving))

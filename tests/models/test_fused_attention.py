import pytest
import torch
from mmaction.models.backbones.vit_mae import Attention

from mme_mmaction.models.utils import FusedAttention
from mme_mmaction.models.utils.fused_attention import fused_is_faster


def queries(tokens, width, dtype=torch.bfloat16):
    return torch.zeros(1, 2, tokens, width, dtype=dtype)


def test_the_fused_kernel_is_skipped_only_in_short_low_precision_training():
    assert not fused_is_faster(queries(472, 64))  # ViT-B visible tokens
    assert fused_is_faster(queries(784, 64))
    assert not fused_is_faster(queries(1280, 32))
    assert fused_is_faster(queries(1568, 32))
    assert fused_is_faster(queries(472, 64, torch.float32))
    with torch.no_grad():
        assert fused_is_faster(queries(472, 64))


@pytest.mark.parametrize('tokens', [64, 3200])  # unfused, fused
def test_bf16_training_matches_mmaction2s_attention(tokens):
    torch.manual_seed(0)
    stock = Attention(embed_dims=32, num_heads=2)
    with torch.no_grad():
        for p in stock.parameters():
            p.normal_(0, 0.3)
    ours = Attention(embed_dims=32, num_heads=2)
    ours.load_state_dict(stock.state_dict())
    ours.__class__ = FusedAttention
    x = torch.randn(1, tokens, 32)
    grads = []
    for module in (stock, ours):
        inputs = x.clone().requires_grad_()
        with torch.autocast('cpu', dtype=torch.bfloat16):
            out = module(inputs)
        out.float().square().mean().backward()
        grads.append((out.float(), inputs.grad))
    (out_stock, grad_stock), (out_ours, grad_ours) = grads
    if tokens == 64:  # the same math, so the same numbers
        assert torch.equal(out_ours, out_stock)
        assert torch.equal(grad_ours, grad_stock)
    else:  # bf16 rounding differs, as between any two kernels
        for a, b in ((out_ours, out_stock), (grad_ours, grad_stock)):
            assert (a - b).norm() / b.norm() < 0.01

"""tools/analysis/get_flops.py counts what a step runs, attention included."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def flops(*args):
    out = subprocess.run(
        [sys.executable, 'tools/analysis/get_flops.py', *args], cwd=ROOT,
        capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    line = [x for x in out.stdout.splitlines() if x.startswith('FLOPs')][0]
    return float(line.split()[1]) * 1e9


def by_hand(visible, masked):
    """Multiply-adds of the toy config's pre-training forward (fvcore's
    convention: a multiply-add is one FLOP, an affine LayerNorm element 5).

    Toy config: 64 tokens; encoder width 192, 4 blocks, MLP ratio 4;
    decoder width 128, 1 block, over all 64 tokens; heads 128 -> 256 ->
    32 (trajectories) and 108 (HOG) on the masked tokens.
    """
    def blocks(n, c, depth):
        # qkv 3C^2 + proj C^2 + MLP 8C^2 per token; Q K^T and A V: 2 N^2 C;
        # two LayerNorms per block.
        return depth * (12 * c * c * n + 2 * n * n * c + 2 * 5 * n * c)

    c, d, n = 192, 128, visible + masked
    patch_embed = (3 * 2 * 16 * 16) * c * n
    encoder = patch_embed + blocks(visible, c, 4) + 5 * visible * c
    decoder = visible * c * d + blocks(n, d, 1) + 5 * masked * d
    heads = masked * (2 * d * 256 + 256 * 32 + 256 * 108)
    return encoder + decoder + heads


@pytest.mark.parametrize('ratio, visible', [(0, 64), (0.75, 16)])
def test_flops_match_a_hand_count(ratio, visible):
    counted = flops('configs/mme/vit-tiny_toy.py', '--mask-ratio', str(ratio))
    assert counted == pytest.approx(by_hand(visible, 64 - visible),
                                    rel=1e-3)

"""TargetStats and tools/analysis/target_stats.py, by hand."""
import importlib.util
import math
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mme_mmaction.analysis import TargetStats, nearest_visible
from synthetic_video import camera_pan, write_video
from tiny_models import tiny_mme_config

ROOT = Path(__file__).resolve().parents[2]


def test_nearest_visible_token_on_the_grid():
    # A 1 x 2 x 3 grid; tokens 1 and 5 are visible.
    mask = torch.tensor([True, False, True, True, True, False])
    usable = torch.ones(6, dtype=torch.bool)
    # Token 0 (0,0): 1 at distance 1. Token 2 (0,2): 1 and 5 at 1 -> the
    # first. Token 3 (1,0): 1 at sqrt(2), 5 at 2. Token 4 (1,1): 1 and 5 at 1.
    assert nearest_visible(mask, usable, (1, 2, 3)).tolist() == [1, 1, 1, 1]
    usable[1] = False
    assert nearest_visible(mask, usable, (1, 2, 3)).tolist() == [5, 5, 5, 5]
    usable[5] = False
    assert nearest_visible(mask, usable, (1, 2, 3)).tolist() == [-1] * 4


def test_statistics_of_four_tokens_by_hand():
    """Tokens on a 1 x 1 x 4 grid, one channel of 4 sub-cells each:
    visible t0 = 1s and t2 = 3s, masked t1 = 0s and t3 = 2s."""
    target = torch.tensor([[1.] * 4, [0.] * 4, [3.] * 4, [2.] * 4])
    stats = TargetStats(cells=4)
    stats.add(target, torch.ones(4, dtype=torch.bool),
              torch.tensor([False, True, False, True]), (1, 1, 4))
    out = stats.summary()
    # Masked mean 1s: SST = 4 + 4 = 8. Zero: 0 + 16. Visible mean (2s):
    # 16 + 0. Nearest: t1 copies t0 (tie with t2, first wins): 4; t3
    # copies t2: 4.
    assert out['explained'] == {'zero': -1., 'visible mean': -1.,
                                'nearest visible': 0.}
    assert out['zero-prediction loss per token'] == 8.
    # RMS of all tokens sqrt((1 + 0 + 9 + 4) / 4): only t1 is about zero;
    # every token is constant over its sub-cells.
    assert out['rms'] == pytest.approx(math.sqrt(3.5))
    assert out['about zero'] == 0.25
    assert out['constant over sub-cells'] == 1.
    # Each value is 1, 0, 3, 2 over the tokens: variance 3.5 - 1.5^2.
    assert out['channel variance'] == pytest.approx([1.25] * 4)


def test_invalid_tokens_are_neither_scored_nor_copied():
    target = torch.tensor([[1.] * 4, [0.] * 4, [3.] * 4, [2.] * 4])
    stats = TargetStats(cells=4)
    stats.add(target, torch.tensor([True, True, False, True]),
              torch.tensor([False, True, False, True]), (1, 1, 4))
    out = stats.summary()
    assert out['valid fraction'] == 0.75
    # t3 now copies t0 as well: errors 4 and 4 against SST 8.
    assert out['explained']['nearest visible'] == 0.
    assert out['explained']['visible mean'] == pytest.approx(1 - 8 / 8)


def test_tool_on_a_camera_pan(tmp_path):
    """A pan of (+2, -1) px per frame: every token moves rigidly by the
    same (-2, +1) per step, so the raw target is constant over sub-cells
    and a zero prediction costs 4 cells x L x 5 per token."""
    spec = importlib.util.spec_from_file_location(
        'target_stats', ROOT / 'tools/analysis/target_stats.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    write_video(tmp_path / 'pan.mp4', camera_pan(pan=(2, -1)))
    (tmp_path / 'list.txt').write_text('pan.mp4 0\n')
    out = tool.target_stats(Config(tiny_mme_config(tmp_path, 'none', 2)),
                            num_samples=2)
    traj = out['trajectory']
    assert traj['constant over sub-cells'] == 1.
    assert traj['zero-prediction loss per token'] == pytest.approx(
        4 * 2 * 5, rel=0.05)
    assert out['hog']['valid fraction'] == 1.
    assert '| trajectory | 100.0% |' in tool.report(out)

import pytest

from mme_mmaction.analysis import ratio_spread, spread


def test_spread_gives_mean_and_range_over_runs():
    assert spread([0.9, 0.8, 1.0], 3) == '0.900 (0.800-1.000)'
    assert spread([13.9, 16.7], 1) == '15.3 (13.9-16.7)'


def test_spread_of_one_run_is_its_value():
    assert spread([0.87], 2) == '0.87'


def test_spread_of_no_runs_is_an_error():
    with pytest.raises(ValueError, match='no runs'):
        spread([], 1)


def test_ratio_spread_is_the_median_of_the_rounds_and_their_range():
    assert ratio_spread([0.42, 0.88, 0.49]) == '0.49x (0.42-0.88)'
    assert ratio_spread([2.0, 1.0]) == '1.50x (1.00-2.00)'
    with pytest.raises(ValueError, match='no rounds'):
        ratio_spread([])

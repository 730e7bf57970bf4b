import pytest

from mme_mmaction.analysis import spread


def test_spread_gives_mean_and_range_over_runs():
    assert spread([0.9, 0.8, 1.0], 3) == '0.900 (0.800-1.000)'
    assert spread([13.9, 16.7], 1) == '15.3 (13.9-16.7)'


def test_spread_of_one_run_is_its_value():
    assert spread([0.87], 2) == '0.87'


def test_spread_of_no_runs_is_an_error():
    with pytest.raises(ValueError, match='no runs'):
        spread([], 1)

"""The study's tables, from hand-made cells."""
import pytest

from mme_mmaction.analysis.study_tables import (STUDY_BEGIN, STUDY_END,
                                                curve_table, study_table,
                                                target_column, write_table)


def test_the_budget_is_the_first_point_where_every_seed_is_below():
    def cell(seed, ratios):
        return dict(seed=seed, results=dict(points=[
            dict(clips=c, model=r, zero=1.) for c, r in ratios.items()]))

    text = curve_table([cell(0, {100: 0.9, 200: 0.69, 300: 0.6}),
                        cell(1, {100: 0.8, 200: 0.71, 300: 0.7})])
    assert '| 200 | 0.690 | 0.710 |' in text
    assert text.endswith('or below 0.7 x zero: 300 clips.')
    assert curve_table([cell(0, {100: 0.9})]).endswith('not reached.')


def results(val, motion=None, targets=None):
    res = dict(finetune=dict(val=val, test=val + 1),
               probe=dict(val=val - 1, test=val - 2),
               final_losses=dict(loss=3., loss_pixel=val / 100),
               pretrain_wall_s=val * 10)
    if motion:
        res['motion'] = dict(model=motion, zero=2.)
    if targets:
        res['targets'] = targets
    return res


def test_rows_are_means_and_spreads_over_seeds_in_the_arms_order():
    cells = [
        dict(arm='mme', seed=0, results=results(
            20., motion=1.6, targets=dict(traj=dict(model=1.5, mean=2.)))),
        dict(arm='mme', seed=1, results=results(
            30., motion=1.2, targets=dict(traj=dict(model=1., mean=2.)))),
        dict(arm='random', seed=0, results=dict(
            finetune=dict(val=10., test=11.), probe=dict(val=9., test=8.))),
    ]
    text = study_table(cells, ['random', 'videomae', 'mme'], 'Caption.')
    lines = text.split('\n')
    assert lines[0] == STUDY_BEGIN and lines[-1] == STUDY_END
    assert lines[-2] == 'Caption.'
    assert lines[3] == ('| random | 10.0 | 11.0 | 9.0 | 8.0 | - | - | - | '
                        '- | 0 |')
    # Motion 1.6 / 2 and 1.2 / 2; traj 1.5 / 2 and 1 / 2.
    assert lines[4] == (
        '| mme | 25.0 (20.0-30.0) | 26.0 (21.0-31.0) | 24.0 (19.0-29.0) | '
        '23.0 (18.0-28.0) | 0.700 (0.600-0.800) | traj 0.625 '
        '(0.500-0.750) | loss_pixel 0.250 (0.200-0.300) | 250 (200-300) | '
        '0 1 |')
    assert '| videomae |' not in text


def test_codes_are_scored_against_the_majority():
    codes = [dict(targets=dict(code=dict(model=0.25, majority=0.1),
                               diff=dict(model=3., mean=4.)))]
    assert target_column(codes) == 'code 25.0% (majority 10.0%), diff 0.750'
    assert target_column([dict()]) == '-'


def test_the_table_replaces_only_what_is_between_the_markers(tmp_path):
    readme = tmp_path / 'README.md'
    readme.write_text(f'Before.\n{STUDY_BEGIN}\nold\n{STUDY_END}\nAfter.\n')
    write_table(str(readme), f'{STUDY_BEGIN}\nnew\n{STUDY_END}')
    assert readme.read_text() == (
        f'Before.\n{STUDY_BEGIN}\nnew\n{STUDY_END}\nAfter.\n')
    readme.write_text('No markers.\n')
    with pytest.raises(ValueError, match='no study markers'):
        write_table(str(readme), 'x')

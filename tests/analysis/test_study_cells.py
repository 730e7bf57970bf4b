"""A finished cell is reused only while its settings and code match."""
import json

from mme_mmaction.analysis.study_cells import (cell_path, load_cell,
                                               save_cell, settings_key)


def test_cells_are_reused_only_for_the_same_settings_and_code(tmp_path):
    key = settings_key(dict(config='a.py', steps=10))
    assert key == settings_key(dict(steps=10, config='a.py'))
    assert key != settings_key(dict(config='a.py', steps=11))
    cell = save_cell(str(tmp_path), 'mme', 0, key, [1.25, 3.5],
                     dict(finetune=50.0))
    assert cell['commit'] and cell['cpu'] and cell['date']
    assert [p.name for p in (tmp_path / 'mme').iterdir()] == ['seed0.json']
    on_disk = json.loads(open(cell_path(str(tmp_path), 'mme', 0)).read())
    assert on_disk == cell
    assert load_cell(str(tmp_path), 'mme', 0, key, [1.25, 3.5]) == cell
    # Within 1e-5 relative: the same code on another CPU.
    assert load_cell(str(tmp_path), 'mme', 0, key, [1.25 * (1 + 1e-6), 3.5])
    assert load_cell(str(tmp_path), 'mme', 0, key, [1.26, 3.5]) is None
    assert load_cell(str(tmp_path), 'mme', 0, key, [1.25]) is None
    assert load_cell(str(tmp_path), 'mme', 0, 'other', [1.25, 3.5]) is None
    assert load_cell(str(tmp_path), 'mme', 1, key, [1.25, 3.5]) is None

"""After ``import mme_mmaction`` a crafted checkpoint is still refused.

Its pickle would create a file when fully unpickled; on every loading path
a user has (mmengine's loader, ``load_checkpoint``, a Runner's
``load_from`` and ``resume``) it must be refused and the file must not
appear.
"""
import pickle

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import CheckpointLoader, Runner, load_checkpoint

import mme_mmaction  # noqa: F401  (the import under test)


class _Payload:
    """Creates ``path`` when unpickled in full."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return open, (self.path, 'w')


class _TinyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.fc(inputs)


@pytest.fixture
def crafted(tmp_path):
    """(checkpoint, the file its payload would create)."""
    victim = tmp_path / 'payload_ran'
    path = tmp_path / 'crafted.pth'
    torch.save(dict(state_dict=_TinyModel().state_dict(),
                    meta=dict(epoch=1, iter=1), evil=_Payload(victim)), path)
    return path, victim


def _runner(tmp_path, **kwargs):
    # In the scope the other tests build in: a Runner makes its own current.
    return Runner(model=_TinyModel(), work_dir=str(tmp_path / 'work'),
                  default_scope='mmaction', **kwargs)


@pytest.mark.parametrize('load', [
    lambda path, tmp: CheckpointLoader.load_checkpoint(str(path)),
    lambda path, tmp: load_checkpoint(_TinyModel(), str(path)),
    lambda path, tmp: _runner(tmp, load_from=str(path)).load_or_resume(),
    lambda path, tmp: _runner(tmp, load_from=str(path),
                              resume=True).load_or_resume(),
], ids=['CheckpointLoader', 'load_checkpoint', 'Runner.load_from',
        'Runner.resume'])
def test_crafted_checkpoint_is_refused_and_its_payload_never_runs(
        crafted, tmp_path, load):
    path, victim = crafted
    with pytest.raises(pickle.UnpicklingError, match='open'):
        load(path, tmp_path)
    assert not victim.exists()

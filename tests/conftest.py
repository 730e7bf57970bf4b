import sys
from pathlib import Path

import pytest
from mmengine.registry import init_default_scope

import mme_mmaction  # noqa: F401  (applies compat fixes, registers modules)

ROOT = Path(__file__).resolve().parents[1]
SHARED_VIDEOS = ROOT.parent / 'shared' / 'data' / 'videos'
sys.path.insert(0, str(Path(__file__).parent))
# Configs run in the mmaction scope; so do registry builds in the tests.
init_default_scope('mmaction')


@pytest.fixture
def shared_video():
    """Path of a real video in ../shared/data/videos, or a skip."""

    def get(name: str) -> Path:
        path = SHARED_VIDEOS / name
        if not path.exists():
            pytest.skip(f'{path} is absent (CI has ../shared/data)')
        return path

    return get

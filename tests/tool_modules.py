"""Tool scripts loaded as modules, and the small toy dataset tests train on."""
import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def load_tool(relative: str) -> ModuleType:
    """A script below the repository root (``tools/...``) as a module."""
    path = ROOT / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def small_toy_dataset(out: Path, val_per_class: int = 1,
                      frames: int = 40) -> Path:
    """The toy dataset at one video per class (9 train, ``val_per_class``
    x 9 validation) of ``frames`` frames in ``out``; returns ``out``."""
    load_tool('tools/data/make_toy_dataset.py').make_toy_dataset(
        str(out), num_videos_per_class=1, num_val_per_class=val_per_class,
        num_frames=frames)
    return out

"""The clip size a checkpoint is for, and the token grid it gives."""
import ast
import math
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Tuple

from torch import Tensor

Grid = Tuple[int, int, int]
#: The patch embedding of our layout: (C, 3, tubelet, patch, patch).
PROJECTION = 'backbone.patch_embed.projection.weight'


@dataclass(frozen=True)
class ClipSize:
    """A ViT's input clip and tubelet sizes; the defaults are ViT-B/16's.

    Attributes:
        num_frames (int): Frames per clip.
        img_size (int): Side of the square frames.
        patch_size (int): Side of a tubelet.
        tubelet_size (int): Frames per tubelet.
    """

    num_frames: int = 16
    img_size: int = 224
    patch_size: int = 16
    tubelet_size: int = 2

    @property
    def grid(self) -> Grid:
        """The token grid (T', H', W') of a clip."""
        side = self.img_size // self.patch_size
        return self.num_frames // self.tubelet_size, side, side

    def __str__(self) -> str:
        return (f'{self.num_frames} x {self.img_size} x {self.img_size} '
                f'clips, {self.tubelet_size} x {self.patch_size} x '
                f'{self.patch_size} tubelets')


def _literal(node: ast.AST) -> Any:
    """The value of a literal or ``dict(...)`` expression, else None."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == 'dict' and not node.args):
        return {
            keyword.arg: _literal(keyword.value)
            for keyword in node.keywords if keyword.arg is not None
        }
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError):
        return None


def _config_backbone(text: Any) -> Dict[str, Any]:
    """``model.backbone`` of a config's text, as far as it is literal.

    The text is parsed, never run: a checkpoint could carry any code in it.
    """
    if not isinstance(text, str):
        return {}
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return {}
    backbone = None
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and getattr(node.targets[0], 'id', None) == 'model'):
            model = _literal(node.value)
            if isinstance(model, dict):
                backbone = model.get('backbone')
    return backbone if isinstance(backbone, dict) else {}


def _sizes(*values: Any) -> bool:
    """Whether every value is a positive int."""
    return all(type(value) is int and value > 0 for value in values)


def stored_clip(
        checkpoint: Mapping[str, Any],
        state: Mapping[str, Tensor]) -> Optional[Tuple[ClipSize, str]]:
    """The clip size a checkpoint of ours was trained or converted for.

    Read from ``model.backbone``'s ``num_frames`` and ``img_size`` in the
    config text that mmengine's Runner stores in ``meta['cfg']`` (parsed,
    not run), else from the ``meta['token_grid']`` a converted checkpoint
    stores; the tubelet size is the patch embedding's kernel. A size whose
    grid does not fit the position table is passed over.

    Args:
        checkpoint (Mapping): The loaded checkpoint.
        state (Mapping[str, Tensor]): Its state dict, with the
            ``backbone.patch_embed`` of our layout.

    Returns:
        tuple[ClipSize, str] | None: The clip size and where it was read,
        or None if the checkpoint stores none that fits.
    """
    meta, kernel = checkpoint.get('meta'), state.get(PROJECTION)
    if not isinstance(meta, Mapping) or kernel is None or kernel.dim() != 5:
        return None
    tubelet, patch = kernel.shape[2], kernel.shape[4]
    found = []
    backbone = _config_backbone(meta.get('cfg'))
    frames, side = backbone.get('num_frames'), backbone.get('img_size')
    if _sizes(frames, side):
        found.append((ClipSize(frames, side, patch, tubelet),
                      "the checkpoint's config (meta['cfg'])"))
    grid = meta.get('token_grid')
    if (isinstance(grid, (tuple, list)) and len(grid) == 3 and _sizes(*grid)
            and grid[1] == grid[2]):
        clip = ClipSize(grid[0] * tubelet, grid[1] * patch, patch, tubelet)
        found.append((clip, "the checkpoint's meta['token_grid']"))
    table = state.get('backbone.pos_embed')
    for clip, origin in found:
        if table is None or math.prod(clip.grid) == table.shape[1]:
            return clip, origin
    return None

"""Normalisations of per-token trajectory targets (docs/method.md §4.4)."""
import torch
from torch import Tensor


def patch_std(tokens: Tensor,
              eps: float = 2e-5,
              min_std: float = 0.) -> Tensor:
    """Standardise every component across the sub-trajectories of a token.

    Removes the token's common translation (camera motion) and the flow's
    scale: ``z = (v - mean) / (max(std_unbiased, min_std) + eps)`` over the
    last axis. With ``min_std=0`` this is docs/method.md §4.4 exactly.
    Sub-pixel flow noise of a rigidly moving patch (about 0.05 px with DIS)
    would otherwise be blown up to unit scale; the release never saw it because
    it truncated flow to whole pixels. A floor keeps such patches near zero and
    leaves ``|z| <= 1.5`` for 4 sub-cells.

    Args:
        tokens (Tensor): (..., k*k) values of one component per sub-cell.
        eps (float): Added to the standard deviation, in the unit of
            ``tokens``. Defaults to 2e-5: the authors' 1e-6 is added to
            displacements in pixels divided by 20 (docs/method.md §4.4).
        min_std (float): Floor of the standard deviation, in the unit of
            ``tokens``. Defaults to 0.

    Returns:
        Tensor: Same shape; all-zero where the sub-cells agree.
    """
    mean = tokens.mean(-1, keepdim=True)
    std = tokens.std(-1, keepdim=True, unbiased=True).clamp(min=min_std)
    return (tokens - mean) / (std + eps)


#: ``traj_norm`` values of :func:`normalize_trajectory_tokens`.
TRAJ_NORMS = ('patch_std', 'none', 'log', 'patch_std_mean')


def _check(norm: str) -> None:
    if norm not in TRAJ_NORMS:
        raise ValueError(f'traj_norm must be one of {TRAJ_NORMS}, got '
                         f'{norm!r}.')


def trajectory_channels(norm: str, traj_len: int, cells: int) -> int:
    """Target values per token of a normalisation.

    Args:
        norm (str): One of :data:`TRAJ_NORMS`.
        traj_len (int): Trajectory steps L.
        cells (int): Sub-trajectories per token k*k.

    Returns:
        int: ``2 * L * k*k``, plus ``2 * L`` for ``'patch_std_mean'``.
    """
    _check(norm)
    extra = 2 * traj_len if norm == 'patch_std_mean' else 0
    return 2 * traj_len * cells + extra


def trajectory_target_unit(norm: str,
                           min_std: float = 0.,
                           scale: float = 1.) -> str:
    """What one value of a trajectory target measures, for labels.

    Args:
        norm (str): One of :data:`TRAJ_NORMS`.
        min_std (float): Noise floor of PatchStd, pixels.
        scale (float): Displacement unit of ``'none'``, ``'log'`` and the
            mean channels, pixels.

    Returns:
        str: E.g. ``'PatchStd (floor 0.5 px)'`` or ``'px'``.
    """
    _check(norm)
    pixels = 'px' if scale == 1 else f'{scale:g} px'
    patch_std_name = 'PatchStd' + (f' (floor {min_std:g} px)'
                                   if min_std else '')
    return {
        'patch_std': patch_std_name,
        'none': pixels,
        'log': f'sign * log(1 + |d| / {pixels})',
        'patch_std_mean': f'{patch_std_name}, then mean in {pixels}',
    }[norm]


def normalize_trajectory_tokens(tokens: Tensor,
                                norm: str,
                                min_std: float = 0.,
                                scale: float = 1.) -> Tensor:
    """Turn per-token displacements into regression targets.

    * ``'patch_std'``: the paper's PatchStd (docs/method.md §4.4; exactly so
      with ``min_std=0``): every component standardised over the token's
      sub-cells, which removes the token's own common motion.
    * ``'none'``: displacements divided by ``scale`` (raw pixels for 1).
    * ``'log'``: ``sign(v) * log(1 + |v| / scale)``: raw motion with large
      displacements compressed, so fast objects whose masked motion no
      context reveals do not dominate the squared error (ours).
    * ``'patch_std_mean'``: PatchStd followed by the token's mean
      displacement divided by ``scale``, 2 * L extra channels: the motion
      PatchStd removes kept as a target of its own (ours).

    Args:
        tokens (Tensor): (B, N, 2, L, k*k) displacements in final-frame
            pixels, as :func:`~.trajectory_tokens` makes.
        norm (str): One of :data:`TRAJ_NORMS`.
        min_std (float): Noise floor of PatchStd, pixels.
        scale (float): Displacement unit of ``'none'``, ``'log'`` and the
            mean channels, pixels.

    Returns:
        Tensor: (B, N, C) with C from :func:`trajectory_channels`, PatchStd
        values in (c, step, sub-cell) order, then the means in (c, step).
    """
    _check(norm)
    if norm == 'none':
        return (tokens / scale).flatten(2)
    if norm == 'log':
        return (tokens.sign() * torch.log1p(tokens.abs() / scale)).flatten(2)
    standardised = patch_std(tokens, min_std=min_std).flatten(2)
    if norm == 'patch_std':
        return standardised
    return torch.cat([standardised, tokens.mean(-1).flatten(2) / scale], -1)

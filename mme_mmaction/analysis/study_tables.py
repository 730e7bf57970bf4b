"""The Markdown tables of the study (``tools/analysis/study.py``), made
from its cells alone, so any checkout can regenerate them."""
from typing import Dict, List, Sequence

from .tables import spread

STUDY_BEGIN = '<!-- study table: tools/analysis/study.py -->'
STUDY_END = '<!-- end of study table -->'


def curve_table(cells: List[Dict], threshold: float = 0.7) -> str:
    """Clips against motion term / zero per seed, and the smallest budget
    where every seed is at or below ``threshold``.

    Args:
        cells (list[dict]): Curve cells, one per seed, whose results hold
            ``points`` (``clips``, ``model``, ``zero``).
        threshold (float): The budget rule's ratio.
    """
    ratios = {c['seed']: {p['clips']: p['model'] / p['zero']
                          for p in c['results']['points']} for c in cells}
    budgets = sorted(set.intersection(*(set(r) for r in ratios.values())))
    rows = ['| clips | ' + ' | '.join(f'seed {s}' for s in ratios) + ' |',
            '|---|' + '---|' * len(ratios)]
    rows += [f'| {b} | ' + ' | '.join(f'{r[b]:.3f}' for r in
                                      ratios.values()) + ' |'
             for b in budgets]
    reached = [b for b in budgets
               if all(r[b] <= threshold for r in ratios.values())]
    rows.append(f'\nSmallest budget with every seed at or below '
                f'{threshold} x zero: '
                f'{f"{reached[0]} clips" if reached else "not reached"}.')
    return '\n'.join(rows)


def target_column(results: List[Dict]) -> str:
    """Each target's held-out score against its blind predictor, over the
    seeds that scored it: error / best constant for values, accuracy
    against the majority code for codes (``'-'`` if none did)."""
    parts = []
    for name in sorted({n for r in results for n in r.get('targets', {})}):
        runs = [r['targets'][name] for r in results
                if name in r.get('targets', {})]
        if 'majority' in runs[0]:
            parts.append(
                f"{name} {spread([100 * s['model'] for s in runs], 1)}% "
                f"(majority {spread([100 * s['majority'] for s in runs], 1)}"
                '%)')
        else:
            parts.append(
                f"{name} {spread([s['model'] / s['mean'] for s in runs], 3)}")
    return ', '.join(parts) or '-'


def study_table(cells: List[Dict], arms: Sequence[str], caption: str) -> str:
    """The study's table between its markers: one row per arm with cells,
    mean (min-max) over its seeds.

    Args:
        cells (list[dict]): Finished cells (``arm``, ``seed``, ``results``).
        arms (Sequence[str]): Row order; arms without cells are left out.
        caption (str): Text under the table.
    """
    rows = [
        STUDY_BEGIN,
        '| arm | fine-tune val | fine-tune test | probe val | probe test | '
        'motion term: model / zero | held-out targets: model / best '
        'constant | final losses | pre-training (s) | seeds |',
        '|---|---|---|---|---|---|---|---|---|---|'
    ]
    for arm in arms:
        runs = [c for c in cells if c['arm'] == arm]
        if not runs:
            continue
        res = [c['results'] for c in runs]
        motion = [r['motion']['model'] / r['motion']['zero'] for r in res
                  if 'motion' in r]
        losses = sorted({k for r in res for k in r.get('final_losses', {})
                         if k != 'loss'})
        final = ', '.join(
            f"{k} {spread([r['final_losses'][k] for r in res], 3)}"
            for k in losses) or '-'
        walls = [r['pretrain_wall_s'] for r in res if 'pretrain_wall_s' in r]
        rows.append(
            f"| {arm} | {spread([r['finetune']['val'] for r in res], 1)} | "
            f"{spread([r['finetune']['test'] for r in res], 1)} | "
            f"{spread([r['probe']['val'] for r in res], 1)} | "
            f"{spread([r['probe']['test'] for r in res], 1)} | "
            f"{spread(motion, 3) if motion else '-'} | "
            f"{target_column(res)} | {final} | "
            f"{spread(walls, 0) if walls else '-'} | "
            f"{' '.join(str(c['seed']) for c in runs)} |")
    rows += ['', caption, STUDY_END]
    return '\n'.join(rows)


def write_table(path: str, text: str) -> None:
    """Replace the study table in a Markdown file (between the markers).

    Raises:
        ValueError: If the file has no markers.
    """
    with open(path) as f:
        old = f.read()
    if STUDY_BEGIN not in old or STUDY_END not in old:
        raise ValueError(f'{path} has no study markers ({STUDY_BEGIN} ... '
                         f'{STUDY_END}) to put the table between.')
    head, rest = old.split(STUDY_BEGIN, 1)
    with open(path, 'w') as f:
        f.write(head + text + rest.split(STUDY_END, 1)[1])

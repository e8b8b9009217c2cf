"""Present a simulation's results: a summary table and a learning-curve plot."""
import numpy as np

from model.simulation import BASELINE

_PER_SEED = {'labels_to_95': 'labels to 95 % of full (per seed)', 'stop_at': 'stop signal at (per seed)'}
"""Columns listing one label count per seed, by their key in the summary."""


def summary_table(summary):
    """A Markdown table: accuracy at label counts and area under the curve, mean ± std over seeds.

    A column gives each area's difference to the baseline's on the same seed,
    in accuracy points (``aulc_gain`` of :func:`~model.simulation.summarize`).
    """
    counts = sorted({key for entry in summary.values() for key in entry if key.startswith('acc@')},
                    key=lambda key: int(key[4:]))
    per_seed = {key: title for key, title in _PER_SEED.items() if any(key in entry for entry in summary.values())}
    header = ['strategy', *counts, 'AULC', f'AULC − {BASELINE}, per seed (pts)', 's/round', *per_seed.values()]
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for strategy, entry in summary.items():
        cells = [strategy] + [_mean_std(entry.get(count)) for count in counts] + [_mean_std(entry['aulc'])]
        gain = entry.get('aulc_gain')
        cells.append('' if gain is None else f'{100 * gain[0]:+.1f} ± {100 * gain[1]:.1f}')
        cells.append(f'{entry["seconds_per_round"]:.1f}')
        cells.extend(', '.join('>budget' if n is None else str(n) for n in entry.get(key, [])) for key in per_seed)
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def plot_curves(rows, path, title, full_accuracy=None):
    """Learning curves, mean over seeds with a ±1 std band, one line per strategy."""
    import matplotlib  # optional: only plotting needs it

    matplotlib.use('Agg')
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(7, 4.5))
    for strategy in dict.fromkeys(r['strategy'] for r in rows):
        points = {}
        for r in rows:
            if r['strategy'] == strategy:
                points.setdefault(r['labels'], []).append(r['accuracy'])
        x = np.array(sorted(points))
        mean = np.array([np.mean(points[n]) for n in x])
        std = np.array([np.std(points[n]) for n in x])
        line, = axes.plot(x, mean, marker='o', markersize=3, label=strategy)
        axes.fill_between(x, mean - std, mean + std, color=line.get_color(), alpha=0.15)
    if full_accuracy:
        axes.axhline(full_accuracy, color='grey', linestyle='--', linewidth=1, label='all pool labels')
    axes.set(xlabel='labeled texts', ylabel='test accuracy', title=title)
    axes.grid(alpha=0.3)
    axes.legend(loc='lower right', fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    pyplot.close(figure)


def _mean_std(value):
    return '' if value is None else f'{value[0]:.3f} ± {value[1]:.3f}'

"""Present a simulation's results: a summary table and a learning-curve plot."""
import numpy as np

from simulation.replay import BASELINE, TARGET_FRACTION


def summary_table(summary, metric='accuracy', target_fraction=TARGET_FRACTION):
    """A Markdown table: ``metric`` at label counts and area under the curve, mean ± std over seeds.

    A column gives each area's difference to the baseline's on the same seed,
    in points of ``metric`` (``aulc_gain`` of :func:`~simulation.replay.summarize`).
    """
    prefix = f'{metric}@'
    counts = sorted({key for entry in summary.values() for key in entry if key.startswith(prefix)},
                    key=lambda key: int(key[len(prefix):]))
    titles = {'labels_to_target': f'labels to {100 * target_fraction:g} % of full (per seed)',
              'stop_at': 'stop signal at (per seed)'}
    per_seed = {key: title for key, title in titles.items() if any(key in entry for entry in summary.values())}
    header = ['strategy', *counts, 'AULC', f'AULC − {BASELINE}, per seed (pts)', 's/round', *per_seed.values()]
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for strategy, entry in summary.items():
        cells = [strategy] + [_mean_std(entry.get(count)) for count in counts] + [_mean_std(entry['aulc'])]
        gain = entry.get('aulc_gain')
        cells.append('' if gain is None else _points(gain))
        cells.append(f'{entry["seconds_per_round"]:.1f}')
        cells.extend(', '.join('>budget' if n is None else str(n) for n in entry.get(key, [])) for key in per_seed)
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def classes_table(summary):
    """A Markdown table of macro-F1, and of the rare classes where there are any: their examples found at
    label counts (mean ± std, and the sum over seeds against the baseline's), their F1's area and recall;
    '' for a task type without classes."""
    columns = [('macro_f1_aulc', 'macro-F1 AULC', _mean_std), ('macro_f1_aulc_gain', f'− {BASELINE} (pts)', _points)]
    counts = sorted({int(key.split('@')[1]) for entry in summary.values() for key in entry
                     if key.startswith('rare_found@')})
    columns += [(f'rare_found@{count}', f'rare found @{count}', _count) for count in counts]
    columns += [(f'rare_found_ratio@{count}', f'× {BASELINE} @{count}', _times) for count in counts]
    columns += [('rare_f1_aulc', 'rare F1 AULC', _mean_std), ('rare_f1_aulc_gain', f'− {BASELINE} (pts)', _points)]
    columns += [(f'rare_recall@{count}', f'rare recall @{count}', _mean_std) for count in counts]
    columns = [column for column in columns if any(column[0] in entry for entry in summary.values())]
    if not columns:
        return ''
    lines = ['| ' + ' | '.join(['strategy', *(title for _, title, _ in columns)]) + ' |',
             '|' + '---|' * (len(columns) + 1)]
    for strategy, entry in summary.items():
        cells = [show(entry[key]) if key in entry else '' for key, _, show in columns]
        lines.append('| ' + ' | '.join([strategy, *cells]) + ' |')
    return '\n'.join(lines)


def suspects_table(summary):
    """A Markdown table of how well the labels judged most likely wrong find the flipped ones (precision
    among the k lowest-quality labels, k the flipped ones labeled, and recall within 2k), mean ± std over
    seeds at each label count; '' without flipped labels."""
    counts = sorted({int(key.split('@')[1]) for entry in summary.values() for key in entry
                     if key.startswith('suspect_precision@')})
    if not counts:
        return ''
    header = ['strategy', *(f'{name}@{count}' for count in counts for name in ('precision', 'recall'))]
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for strategy, entry in summary.items():
        cells = [_mean_std(entry.get(f'suspect_{name}@{count}')) for count in counts
                 for name in ('precision', 'recall')]
        lines.append('| ' + ' | '.join([strategy, *cells]) + ' |')
    return '\n'.join(lines)


def check_plotting():
    """Raise ``ModuleNotFoundError`` naming the extra to install when matplotlib is missing.

    Call it before hours of simulation, not after.
    """
    try:
        import matplotlib  # noqa: F401 - optional: only plotting needs it
    except ImportError:
        raise ModuleNotFoundError("learning_curve.png needs matplotlib: pip install "
                                  "'label-studio-active-learning[simulate]' (make installs it)") from None


def plot_curves(rows, path, title, metric='accuracy', full_metric=None):
    """Learning curves of ``metric``, mean over seeds with a ±1 std band, one line per strategy."""
    import matplotlib  # optional: only plotting needs it

    matplotlib.use('Agg')
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(7, 4.5))
    for strategy in dict.fromkeys(r['strategy'] for r in rows):
        points = {}
        for r in rows:
            if r['strategy'] == strategy:
                points.setdefault(r['labels'], []).append(r[metric])
        x = np.array(sorted(points))
        mean = np.array([np.mean(points[n]) for n in x])
        std = np.array([np.std(points[n]) for n in x])
        line, = axes.plot(x, mean, marker='o', markersize=3, label=strategy)
        axes.fill_between(x, mean - std, mean + std, color=line.get_color(), alpha=0.15)
    if full_metric:
        axes.axhline(full_metric, color='grey', linestyle='--', linewidth=1, label='all pool labels')
    axes.set(xlabel='labeled texts', ylabel=f'test {metric}', title=title)
    axes.grid(alpha=0.3)
    axes.legend(loc='lower right', fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    pyplot.close(figure)


def _mean_std(value):
    return '' if value is None else f'{value[0]:.3f} ± {value[1]:.3f}'


def _points(value):
    return f'{100 * value[0]:+.1f} ± {100 * value[1]:.1f}'


def _count(value):
    return f'{value[0]:.1f} ± {value[1]:.1f}'


def _times(value):
    return f'{value:.2f}×'

"""How far above random can a strategy get on a classification pool? The area gain of a ceiling curve.

    python -m benchmarks.headroom --budget 200 benchmarks/results/rare/bbc_news/rounds.csv \
        benchmarks/results/rare_clusters/bbc_news/rounds.csv

With the default ``--initial-strategy random``, every strategy starts from random's first labels, so each
seed's first round is random's. The ceiling keeps it and from the second round on reads the best figure that
any run in the files reached on that seed within the budget, as if the strategy had found that run's best
labels at once. Its area gain over random bounds what a query can add with this learner from those first
labels: a target above it needs a better learner or other first labels (a cold start), not a better query.
"""
import argparse

from simulation.replay import BASELINE, summarize
from simulation.results import read_rounds

METRICS = ('accuracy', 'macro_f1')


def ceiling_rows(rows, budget):
    """``ceiling`` rows: random's first round on each seed, then the best figure of any row of that seed."""
    rows = [r for r in rows if r['labels'] <= budget]
    first, best = {}, {}
    for r in rows:
        first[r['seed']] = min(first.get(r['seed'], r['labels']), r['labels'])
        for name in METRICS:
            if r.get(name) is not None:
                best[r['seed'], name] = max(best.get((r['seed'], name), 0.0), r[name])
    return [{**r, 'strategy': 'ceiling',
             **{name: r[name] if r['labels'] == first[r['seed']] else best[r['seed'], name] for name in METRICS}}
            for r in rows if r['strategy'] == BASELINE]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('rounds', nargs='+', help='rounds.csv files of one pool, random among them')
    parser.add_argument('--budget', type=int, required=True)
    args = parser.parse_args(argv)
    rows = [r for path in args.rounds for r in read_rounds(path)]
    baseline = [r for r in rows if r['strategy'] == BASELINE and r['labels'] <= args.budget]
    summary = summarize(baseline + ceiling_rows(rows, args.budget))['ceiling']
    for name, key in (('accuracy', 'aulc'), ('macro-F1', 'macro_f1_aulc')):
        (area, _), (gain, spread) = summary[key], summary[f'{key}_gain']
        print(f'{name}: ceiling AULC {area:.3f}, {100 * gain:+.1f} ± {100 * spread:.1f} points over random '
              f'({summary["seeds"]} seeds)')


if __name__ == '__main__':
    main()

"""Strategies of several results folders against random runs of others, paired by seed.

    python -m benchmarks.paired --budget 200 \
        --random benchmarks/results/random_first_rounds/bbc_news/rounds.csv benchmarks/results/bbc_news/rounds.csv \
        --runs 'as served=benchmarks/results/cold/bbc_news/bbc_news/rounds.csv'

``lsal simulate`` pairs the strategies of one run, which share their first labels. This pairs runs that
could not share them: a strategy with the cold start's first labels (``--initial-strategy representative``)
against random labeling from random first labels, or random's rounds re-run with another recipe. The
``random`` rows come from the ``--random`` files, the first file's rows first: a later file only adds the
rounds the earlier ones lack. A ``--runs`` entry ``LABEL=PATH`` appends `` (LABEL)`` to its strategies' names.
"""
import argparse

from simulation.replay import BASELINE, summarize
from simulation.report import classes_table, summary_table
from simulation.results import read_rounds


def random_rows(paths, budget):
    """The ``random`` rows of ``paths`` up to ``budget`` labels, an earlier file's round before a later one's."""
    rows, seen = [], set()
    for path in paths:
        for r in read_rounds(path):
            if r['strategy'] == BASELINE and r['labels'] <= budget and (r['seed'], r['labels']) not in seen:
                seen.add((r['seed'], r['labels']))
                rows.append(r)
    return rows


def strategy_rows(entry, budget):
    """The rows of ``entry`` (``PATH`` or ``LABEL=PATH``) but random's, up to ``budget`` labels, renamed."""
    label, _, path = entry.rpartition('=')
    suffix = f' ({label})' if label else ''
    return [{**r, 'strategy': r['strategy'] + suffix} for r in read_rounds(path)
            if r['strategy'] != BASELINE and r['labels'] <= budget]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--budget', type=int, required=True)
    parser.add_argument('--random', nargs='+', required=True, help='rounds.csv files holding random runs')
    parser.add_argument('--runs', nargs='+', required=True, help='rounds.csv files, each PATH or LABEL=PATH')
    parser.add_argument('--metric', default='accuracy', help="the rounds' metric column (spans: f1, boxes: map_50)")
    args = parser.parse_args(argv)
    runs = [r for entry in args.runs for r in strategy_rows(entry, args.budget)]
    seeds = {r['seed'] for r in runs}
    rows = [r for r in random_rows(args.random, args.budget) if r['seed'] in seeds] + runs
    summary = summarize(rows, metric=args.metric)
    print(summary_table(summary, args.metric))
    print()
    print(classes_table(summary))


if __name__ == '__main__':
    main()

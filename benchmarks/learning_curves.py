"""The learning-curve benchmark: every strategy against random on the bundled datasets.

    python -m benchmarks.learning_curves                 # the documented configuration (hours on 2 cores)
    python -m benchmarks.learning_curves --budget 200 --strategies random,margin,badge

Arguments other than ``--datasets`` and ``--out`` go to ``lsal simulate`` unchanged; each dataset's
results land in ``<out>/<dataset>/`` (rounds.csv, summary.md, summary.json, learning_curve.png).
"""
import argparse
import sys

from backend.cli import main as lsal

DEFAULTS = ['--initial', '25', '--batch', '25', '--budget', '500', '--seeds', '3', '--pool-size', '4000',
            '--test-size', '1000', '--strategies', 'random,margin,least_confidence,entropy,bald,badge,coreset',
            '--full-data']
"""The configuration of the issue: initial 25, batch 25, budget 500, three seeds, every strategy."""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--datasets', default='bbc_news,rotten_tomatoes')
    parser.add_argument('--out', default='benchmarks/results')
    args, rest = parser.parse_known_args(argv)
    for dataset in args.datasets.split(','):
        code = lsal(['simulate', '--dataset', dataset, '--out', f'{args.out}/{dataset}', *DEFAULTS, *rest])
        if code:
            return code
    return 0


if __name__ == '__main__':
    sys.exit(main())

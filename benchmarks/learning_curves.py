"""The learning-curve benchmark: every strategy against random on the bundled datasets.

    python -m benchmarks.learning_curves --resume        # the documented configuration, resumable
    python -m benchmarks.learning_curves --budget 200 --strategies random,margin,badge --small-text

Arguments other than those below go to ``lsal simulate`` unchanged; each
dataset's results land in ``<out>/<dataset>/`` (rounds.csv, summary.md,
summary.json, learning_curve.png). With ``--small-text``, small-text's
strategies run the same campaigns and join the same report; with no
interpreter named, small-text is installed into its own virtual environment
first (``benchmarks.small_text_runs.DEFAULT_VENV``).
"""
import argparse
import sys
from pathlib import Path

from backend.settings import Settings, SettingsError
from benchmarks.small_text_runs import SmallTextError, SmallTextRuns, install
from simulation import SimulationInputError, add_simulate_parser, run_simulation
from strategies import DETECTION_STRATEGIES

DEFAULTS = ['--initial', '25', '--batch', '25', '--budget', '500', '--seeds', '3', '--pool-size', '1000',
            '--test-size', '500', '--strategies', 'random,margin,least_confidence,entropy,bald,badge,coreset',
            '--full-data']
"""The documented configuration (initial 25, batch 25, budget 500, three seeds, every strategy) on a pool
of 1,000 texts: five hours or more per dataset on 2 cores."""

DATASET_DEFAULTS = {
    'wnut16': ['--batch', '50', '--budget', '400', '--target-fraction', '0.9',
               '--strategies', 'random,bald,least_confidence,entropy,max_entropy,margin,badge,coreset'],
    'mnist': ['--image-size', '64', '--budget', '150'],
    'mnist_boxes': ['--image-size', '128', '--budget', '200', '--test-size', '300', '--target-fraction', '0.9',
                    '--strategies', ','.join(['random', *(s for s in DETECTION_STRATEGIES if s != 'random')])],
}
"""Per-dataset changes to :data:`DEFAULTS`. WNUT-16 (span labeling, 2,295 tweets): the span recipe trains
10 epochs, so rounds of 50 keep a campaign near ten minutes on 2 cores; 90 % of the full-pool entity F1 is
the project's target. MNIST (images, 5,000 digits): read at 64 px, where EfficientNet-Lite0 predicts about
700 images/s on 2 cores (11 at 224), and a budget of 150: the image recipe's 10 epochs make the later
rounds long, and 150 labels already come near the full-pool accuracy. mnist_boxes (detection, 2,500 scenes
of 128 px): read at their own size, a budget of 200 boxed scenes (the detection recipe's 150 steps or more
make a campaign about four minutes on 2 cores), every detection strategy."""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--datasets', default='bbc_news,rotten_tomatoes,wnut16,mnist,mnist_boxes')
    parser.add_argument('--out', default='benchmarks/results')
    parser.add_argument('--small-text', metavar='PYTHON', nargs='?', const='install',
                        help='run small-text 1.4.1 side by side, with this interpreter (default: its own venv)')
    parser.add_argument('--small-text-strategies', default='random,breaking_ties',
                        help='small-text query strategies (random, breaking_ties, least_confidence, '
                             'prediction_entropy, greedy_coreset)')
    args, rest = parser.parse_known_args(argv)
    simulate_parser = argparse.ArgumentParser(prog='learning_curves')
    add_simulate_parser(simulate_parser.add_subparsers())
    try:
        settings = Settings.from_env()
        extra_runs = []
        if args.small_text:
            python = install() if args.small_text == 'install' else args.small_text
            extra_runs.append(SmallTextRuns(python, args.small_text_strategies.split(',')))
        for dataset in args.datasets.split(','):
            simulation = simulate_parser.parse_args(
                ['simulate', '--dataset', dataset, '--out', f'{args.out}/{Path(dataset).stem}', *DEFAULTS,
                 *DATASET_DEFAULTS.get(dataset, ()), *rest])
            run_simulation(settings, simulation, extra_runs=extra_runs)
    except (SettingsError, SimulationInputError, SmallTextError) as error:
        parser.exit(2, f'learning_curves: {error}\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())

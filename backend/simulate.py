"""``lsal simulate``: replay the loop on a labeled dataset and report learning curves."""
import argparse
import json
from pathlib import Path

from tqdm import tqdm

from model import TrainingConfig
from model.acquisition import MC_PASSES
from model.datasets import DATASETS, DatasetError, from_csv, from_label_studio_export
from model.report import plot_curves, summary_table, write_rounds
from model.simulation import SimulationConfig, full_data_accuracy, rounds_per_run, simulate, summarize
from strategies import STRATEGIES, StrategyError


class SimulationInputError(ValueError):
    """Arguments of ``lsal simulate`` that cannot run."""


def add_simulate_parser(commands):
    command = commands.add_parser(
        'simulate', help='replay active learning on a labeled dataset and compare strategies',
        description='Replay the loop on an already-labeled dataset: a simulated annotator labels the '
                    'lowest-scored texts each round. Writes rounds.csv, summary.md, summary.json and '
                    'learning_curve.png into --out.')
    command.add_argument('--dataset', default='bbc_news',
                         help=f'{" or ".join(DATASETS)}, a CSV file, or a Label Studio JSON export')
    command.add_argument('--text-column', default='text', help='CSV column (or export data field) with the text')
    command.add_argument('--label-column', default='label', help='CSV column with the label')
    command.add_argument('--strategies', default='random,margin',
                         help=f'comma-separated, from: {", ".join(STRATEGIES)}')
    command.add_argument('--initial', type=int, default=25, help='labels before the first model')
    command.add_argument('--initial-strategy', default='random', choices=('random', 'representative'))
    command.add_argument('--batch', type=int, default=25, help='labels added per round')
    command.add_argument('--budget', type=int, default=500, help='stop at this many labels')
    command.add_argument('--seeds', type=int, default=3, help='runs per strategy (seeds 0..N-1)')
    command.add_argument('--pool-size', type=int, default=4000)
    command.add_argument('--test-size', type=int, default=1000)
    command.add_argument('--max-length', type=int, default=64, help='tokens per text')
    command.add_argument('--epochs', type=int, default=3)
    command.add_argument('--full-data', action=argparse.BooleanOptionalAction, default=False,
                         help='also train on the whole pool (the ceiling, and labels to reach 95 %% of it)')
    command.add_argument('--mc-passes', type=int, default=MC_PASSES, help='stochastic passes for bald')
    command.add_argument('--bf16', action='store_true',
                         help='bfloat16 inference (faster only on CPUs with AMX; much slower without)')
    command.add_argument('--out', default='simulation', help='output folder')


def load_dataset(name, text_column, label_column):
    if name in DATASETS:
        return DATASETS[name]()
    path = Path(name)
    if not path.is_file():
        raise SimulationInputError(f'--dataset: {name!r} is neither {" nor ".join(DATASETS)} nor a file')
    if path.suffix.lower() == '.json':
        return from_label_studio_export(path, text_field=text_column if text_column != 'text' else None)
    return from_csv(path, text_column, label_column)


def run_simulation(settings, args, extra_runs=()):
    """Entry point of ``lsal simulate``.

    ``extra_runs`` are callables like :func:`~model.simulation.simulate` with a
    ``strategies`` attribute; their rounds join the same report (the
    benchmark adds small-text this way).
    """
    try:
        texts, labels = load_dataset(args.dataset, args.text_column, args.label_column)
        config = SimulationConfig(
            initial=args.initial, batch=args.batch, budget=args.budget, seeds=tuple(range(args.seeds)),
            strategies=tuple(s.strip() for s in args.strategies.split(',') if s.strip()),
            pool_size=args.pool_size, test_size=args.test_size, initial_strategy=args.initial_strategy,
            training=TrainingConfig(max_length=args.max_length, epochs=args.epochs), bf16=args.bf16,
            mc_passes=args.mc_passes)
    except (DatasetError, StrategyError, ValueError) as error:
        raise SimulationInputError(str(error)) from None
    name = Path(args.dataset).stem
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    strategies = len(config.strategies) + sum(len(runs.strategies) for runs in extra_runs)
    with tqdm(total=rounds_per_run(config) * len(config.seeds) * strategies, desc=f'simulate {name}',
              unit='round') as bar:
        rows = simulate(texts, labels, settings.base_model, config, dataset=name, progress=bar.update)
        for runs in extra_runs:
            rows += [{'dataset': name, **row}
                     for row in runs(texts, labels, settings.base_model, config, progress=bar.update)]
    full = None
    if args.full_data:
        full = sum(full_data_accuracy(texts, labels, settings.base_model, config, seed)
                   for seed in config.seeds) / len(config.seeds)
    summary = summarize(rows, full_accuracy=full)
    write_rounds(rows, out / 'rounds.csv')
    table = summary_table(summary)
    header = f'{name}: {len(texts)} texts, pool {config.pool_size}, test {config.test_size}, ' \
             f'initial {config.initial} ({config.initial_strategy}), batch {config.batch}, ' \
             f'budget {config.budget}, seeds {len(config.seeds)}'
    if full is not None:
        header += f'; full-pool accuracy {full:.3f}'
    (out / 'summary.md').write_text(f'{header}\n\n{table}\n', encoding='utf-8')
    (out / 'summary.json').write_text(json.dumps({'config': header, 'full_accuracy': full, 'summary': summary},
                                                 indent=2), encoding='utf-8')
    plot_curves(rows, out / 'learning_curve.png', name, full_accuracy=full)
    print(f'{header}\n\n{table}\n\nwrote {out}/rounds.csv, summary.md, summary.json, learning_curve.png')
    return 0

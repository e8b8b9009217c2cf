"""small-text side by side: the same campaigns, replayed by small-text in its own virtual environment.

small-text 1.4.1 needs transformers 4, this project transformers 5, so each
run is a subprocess of small-text's interpreter (see ``small_text_runner.py``).
Both sides get the same texts, split, initial labels, batch, budget, seeds and
encoder weights; only the fine-tuning and the query strategy differ.
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from model.task_types import TextClassification
from simulation.replay import initial_indices, rounds_per_run, split_of

RUNNER = Path(__file__).with_name('small_text_runner.py')

DEFAULT_VENV = Path(os.environ.get('LSAL_SMALL_TEXT_VENV', Path.home() / '.cache' / 'lsal' / 'small-text-1.4.1'))
"""Where :func:`install` builds small-text's virtual environment, reused across runs."""

TORCH = 'torch==2.13.0'
"""Installed first and pinned, else small-text's dependencies pull a CUDA build of several GB."""

SMALL_TEXT = ('small-text[transformers]==1.4.1', 'transformers==4.57.6')
"""small-text with the last transformers it works with (it calls ``tokenizer.encode_plus``, gone in
transformers 5)."""


class SmallTextError(RuntimeError):
    """small-text's interpreter is missing or one of its runs failed."""


def install(venv=DEFAULT_VENV):
    """The interpreter of small-text's virtual environment, built the first time (a minute or two).

    torch comes from ``$TORCH_INDEX`` where it is set, as in the Makefile.
    """
    marker = Path(venv) / '.installed'
    if not marker.exists():
        pip = [str(Path(venv) / 'bin' / 'pip'), 'install', '--quiet']
        torch_index = os.environ.get('TORCH_INDEX')
        try:
            subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True)
            subprocess.run([*pip, TORCH, *(['--index-url', torch_index] if torch_index else [])], check=True)
            subprocess.run([*pip, *SMALL_TEXT], check=True)
        except subprocess.CalledProcessError as error:
            raise SmallTextError(f'installing small-text into {venv} failed: {error}') from None
        marker.touch()
    return Path(venv) / 'bin' / 'python'


class SmallTextRuns:
    """Extra runs for :func:`backend.simulate.run_simulation`: small-text's strategies on every seed.

    Args:
        python: the interpreter of the virtual environment holding small-text.
        strategies: small-text query strategies, by the names in ``small_text_runner.QUERY_STRATEGIES``.

    Attributes:
        strategies: the names the rows carry, ``small-text <strategy>``.
        task_types: small-text classifies texts; it has no span labeling.
    """

    def __init__(self, python, strategies=('random', 'breaking_ties')):
        if not Path(python).is_file():
            raise SmallTextError(f'--small-text: no interpreter at {python}')
        self.python = str(python)
        self.query_strategies = tuple(strategies)
        self.strategies = tuple(f'small-text {strategy}' for strategy in strategies)
        self.task_types = (TextClassification.NAME,)

    def __call__(self, task_type, examples, base_model, config, skip=frozenset(), progress=None):
        """Yield each campaign's round dicts, like :func:`simulation.replay.campaigns` (text classification)."""
        texts, labels = [e['text'] for e in examples], [e['choices'][0] for e in examples]
        for seed in config.seeds:
            todo = [(query, name) for query, name in zip(self.query_strategies, self.strategies)
                    if (name, seed) not in skip]
            if not todo:
                continue
            test, pool = split_of(task_type, examples, config, seed)
            plan = {'texts': list(texts), 'labels': list(labels), 'test': test.tolist(), 'pool': pool.tolist(),
                    'initial': [int(i) for i in initial_indices(task_type, examples, pool, config, base_model, seed)],
                    'seed': seed, 'batch': config.batch, 'budget': config.budget,
                    'rounds': rounds_per_run(config), 'max_length': config.training.max_length,
                    'model': base_model}
            for query, name in todo:
                yield self._run({**plan, 'strategy': query, 'name': name}, progress)

    def _run(self, plan, progress):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / 'plan.json'
            path.write_text(json.dumps(plan), encoding='utf-8')
            env = {**os.environ, 'TOKENIZERS_PARALLELISM': 'false'}
            with subprocess.Popen([self.python, str(RUNNER), str(path)], stdout=subprocess.PIPE, text=True,
                                  env=env) as process:
                rows = []
                for line in process.stdout:
                    rows.append(json.loads(line))
                    if progress:
                        progress()
        if process.returncode:
            raise SmallTextError(f'small-text {plan["strategy"]}, seed {plan["seed"]}: exit code '
                                 f'{process.returncode} (its output is above)')
        return rows

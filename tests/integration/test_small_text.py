"""The small-text side of the benchmark: a real small-text 1.4.1 replays our campaign.

small-text is installed into its own virtual environment on first use, like
Label Studio for the end-to-end tests.
"""
import pytest

from benchmarks.learning_curves import main
from benchmarks.small_text_runs import SmallTextError, SmallTextRuns, install
from model import TrainingConfig
from model.simulation import SimulationConfig, initial_indices, split
from model.task_types import TextClassification


@pytest.fixture(scope='module')
def small_text_python():
    return install()


@pytest.fixture(scope='module')
def dataset(bbc):
    return [text for text, _ in bbc[:100]], [label for _, label in bbc[:100]]


def test_small_text_labels_the_same_initial_set_then_its_own_batches(dataset, tiny_encoder, small_text_python):
    texts, labels = dataset
    config = SimulationConfig(initial=10, batch=10, budget=20, seeds=(0,), pool_size=60, test_size=40,
                              training=TrainingConfig(max_length=32))
    runs = SmallTextRuns(small_text_python, ['random', 'breaking_ties'])
    task_type = TextClassification(from_name='label', to_name='text', field='text', labels=tuple(sorted(set(labels))))
    examples = [{'task': i, 'text': text, 'choices': [label]} for i, (text, label) in enumerate(zip(texts, labels))]
    rows = [row for campaign in runs(task_type, examples, tiny_encoder, config) for row in campaign]
    assert [(r['strategy'], r['labels']) for r in rows] == [
        (f'small-text {name}', n) for name in ('random', 'breaking_ties') for n in (10, 20)]
    assert all(0 <= r['accuracy'] <= 1 and r['train_seconds'] > 0 for r in rows)
    assert rows[0]['accuracy'] == rows[2]['accuracy'], 'same seed, same initial labels: same first model'
    _, pool = split(len(labels), config, 0)
    assert len(set(initial_indices(task_type, examples, pool, config, tiny_encoder, 0))) == 10
    done = {('small-text random', 0), ('small-text breaking_ties', 0)}
    assert list(runs(task_type, examples, tiny_encoder, config, skip=done)) == [], 'finished campaigns are not rerun'


def test_benchmark_reports_both_libraries_in_one_table(dataset, news_csv, tiny_encoder, small_text_python, tmp_path,
                                                       monkeypatch):
    data = news_csv(*dataset)
    monkeypatch.setenv('BASE_MODEL', tiny_encoder)
    code = main(['--datasets', str(data), '--out', str(tmp_path / 'out'), '--small-text', str(small_text_python),
                 '--small-text-strategies', 'breaking_ties', '--strategies', 'margin', '--initial', '10',
                 '--batch', '10', '--budget', '20', '--seeds', '1', '--pool-size', '60', '--test-size', '40',
                 '--max-length', '32', '--epochs', '1', '--no-full-data'])
    assert code == 0
    summary = (tmp_path / 'out' / 'news' / 'summary.md').read_text()
    assert '| margin |' in summary and '| small-text breaking_ties |' in summary


def test_missing_interpreter_exits_2_naming_it(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(['--small-text', str(tmp_path / 'python'), '--datasets', 'bbc_news'])
    assert exit_info.value.code == 2
    assert f'no interpreter at {tmp_path / "python"}' in capsys.readouterr().err
    with pytest.raises(SmallTextError):
        SmallTextRuns(tmp_path / 'python')

"""The small-text side of the benchmark, run as a user runs it: a real small-text 1.4.1 replays our campaign.

small-text is installed into its own virtual environment on first use, like
Label Studio for the end-to-end tests.
"""
import subprocess
import sys

from simulation.results import read_rounds

TINY_CAMPAIGN = ['--initial', '10', '--batch', '10', '--budget', '20', '--seeds', '1', '--pool-size', '60',
                 '--test-size', '40', '--max-length', '32', '--epochs', '1', '--no-full-data']


def learning_curves(*args, env=None):
    return subprocess.run([sys.executable, '-m', 'benchmarks.learning_curves', *args], capture_output=True,
                          text=True, env=env, timeout=900)


def test_both_libraries_replay_the_same_campaign_into_one_report(bbc, news_csv, tiny_encoder, tmp_path,
                                                                  monkeypatch):
    monkeypatch.setenv('BASE_MODEL', tiny_encoder)
    data = news_csv([text for text, _ in bbc[:100]], [label for _, label in bbc[:100]])
    args = ['--datasets', str(data), '--out', str(tmp_path / 'out'), '--small-text',
            '--small-text-strategies', 'random,breaking_ties', '--strategies', 'margin', *TINY_CAMPAIGN]
    done = learning_curves(*args)
    assert done.returncode == 0, done.stderr[-2000:]
    rounds = tmp_path / 'out' / 'news' / 'rounds.csv'
    rows = read_rounds(rounds)
    assert [(r['strategy'], r['labels']) for r in rows] == [
        (name, n) for name in ('margin', 'small-text random', 'small-text breaking_ties') for n in (10, 20)]
    assert all(0 <= r['accuracy'] <= 1 and r['train_seconds'] > 0 for r in rows)
    assert rows[2]['accuracy'] == rows[4]['accuracy'], 'same seed, same initial labels: same first model'
    summary = (tmp_path / 'out' / 'news' / 'summary.md').read_text()
    assert '| margin |' in summary and '| small-text breaking_ties |' in summary

    written = rounds.read_text()
    again = learning_curves(*args, '--resume')
    assert again.returncode == 0, again.stderr[-2000:]
    assert rounds.read_text() == written, 'finished campaigns are not rerun'


def test_missing_interpreter_exits_2_naming_it(tmp_path):
    done = learning_curves('--small-text', str(tmp_path / 'python'), '--datasets', 'bbc_news')
    assert done.returncode == 2
    assert f'no interpreter at {tmp_path / "python"}' in done.stderr

"""The training-recipe benchmark: same labeled sample, one fine-tune per minimum step count."""
import re

from benchmarks.training_recipe import main


def test_one_row_per_step_count_with_gains_paired_to_the_first(tiny_encoder, monkeypatch, capsys):
    monkeypatch.setenv('BASE_MODEL', tiny_encoder)
    assert main(['--cells', 'bbc_news:10', '--min-steps', '2,6', '--seeds', '2', '--max-length', '16']) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith('| bbc_news |')]
    assert [row.split(' | ')[2] for row in rows] == ['2', '6']
    assert '| +0.0 ± 0.0 |' in rows[0], 'the baseline against itself, seed by seed'
    accuracy = float(re.search(r'\| (\d\.\d{3}) ±', rows[1]).group(1))
    assert 0.0 <= accuracy <= 1.0

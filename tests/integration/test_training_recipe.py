"""The training-recipe benchmark, run as a user runs it: same labeled sample, one fine-tune per minimum step count."""
import os
import re
import subprocess
import sys


def test_one_row_per_step_count_with_gains_paired_to_the_first(tiny_encoder):
    done = subprocess.run([sys.executable, '-m', 'benchmarks.training_recipe', '--cells', 'bbc_news:10',
                           '--min-steps', '2,6', '--seeds', '2', '--max-length', '16'], capture_output=True,
                          text=True, env={**os.environ, 'BASE_MODEL': tiny_encoder}, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith('| bbc_news |')]
    assert [row.split(' | ')[2] for row in rows] == ['2', '6']
    assert '| +0.0 ± 0.0 |' in rows[0], 'the baseline against itself, seed by seed'
    accuracy = float(re.search(r'\| (\d\.\d{3}) ±', rows[1]).group(1))
    assert 0.0 <= accuracy <= 1.0

"""The README's commands: every `lsal` command parses, every `make` target exists."""
import re
import shlex
from pathlib import Path

import pytest

from backend.cli import main

REPO = Path(__file__).resolve().parents[2]


def fenced_commands(kind):
    """The commands starting with ``kind`` in the README's ```bash blocks (continuations joined, comments cut)."""
    text = (REPO / 'README.md').read_text()
    commands = []
    for block in re.findall(r'```bash\n(.*?)```', text, re.S):
        for line in block.replace('\\\n', ' ').splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] == kind:
                commands.append(words)
    return commands


@pytest.mark.parametrize('command', fenced_commands('lsal'), ids=' '.join)
def test_every_lsal_command_of_the_readme_parses(command):
    with pytest.raises(SystemExit) as exit_info:
        main([*command[1:], '--help'])
    assert exit_info.value.code == 0


@pytest.mark.parametrize('command', fenced_commands('make'), ids=' '.join)
def test_every_make_target_of_the_readme_exists(command):
    targets = re.findall(r'^([\w.-]+):', (REPO / 'Makefile').read_text(), re.M)
    assert command[1] in targets


def test_the_readme_stays_a_users_guide_under_400_lines():
    assert len((REPO / 'README.md').read_text().splitlines()) < 400, 'benchmark narrative goes to benchmarks/README.md'

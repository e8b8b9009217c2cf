"""Both kinds of Label Studio token work for every call the backend makes: a legacy API token, and a
personal access token (a JWT refresh token, which new organisations get; the backend exchanges it for
short-lived access tokens)."""
import io

import pytest
from PIL import Image

from backend.label_studio import LabelStudioProject
from backend.media import MediaFiles
from backend.settings import Settings
from support.label_studio_api import Api
from support.payloads import IMAGE_CONFIG

pytestmark = pytest.mark.e2e


def png():
    out = io.BytesIO()
    Image.new('RGB', (12, 8), (200, 30, 30)).save(out, format='PNG')
    return out.getvalue()


@pytest.fixture(scope='module')
def project(label_studio):
    """A project with one uploaded image: ``(api, project id, the task)``."""
    api = Api(*label_studio)
    pid = api.call('POST', '/api/projects', json={'title': 'Tokens', 'label_config': IMAGE_CONFIG})['id']
    api.upload(pid, [('red.png', png())])
    return api, pid, api.tasks(pid)[0]


@pytest.mark.parametrize('kind', ['legacy token', 'personal access token'])
def test_each_token_kind_lists_tasks_fetches_uploads_and_updates_the_project(label_studio, project, kind, tmp_path):
    url, legacy = label_studio
    api, pid, task = project
    key = legacy if kind == 'legacy token' else api.call('POST', '/api/token/')['token']
    assert (key.count('.') == 2) == (kind == 'personal access token'), 'a personal access token is a JWT'

    pages = list(LabelStudioProject(url, key, pid).unlabeled_pages())
    assert [t['id'] for t in pages[0][0]] == [task['id']]

    field = next(iter(task['data'].values()))
    path = MediaFiles(Settings(label_studio_url=url, label_studio_api_key=key), tmp_path)(field, task['id'])
    assert Image.open(path).size == (12, 8)

    api.call('PATCH', f'/api/projects/{pid}', json={'sampling': 'Sequential sampling'})
    LabelStudioProject(url, key, pid).restore_sampling()
    assert api.project(pid)['sampling'] == 'Uncertainty sampling'

"""The Data Manager tab of suspect tasks, against the real Label Studio 1.23.2."""
import pytest

from backend.label_studio import LabelStudioProject
from support.label_studio_api import Api
from support.payloads import LABEL_CONFIG

pytestmark = pytest.mark.e2e

TITLE = 'Review: likely label errors'


def listed(api, project_id, tab_id):
    """The ids of the tasks Label Studio lists in a tab."""
    tasks = api.call('GET', f'/api/tasks?project={project_id}&view={tab_id}&fields=task_only&page_size=100')['tasks']
    return sorted(task['id'] for task in tasks)


def test_the_tab_lists_exactly_the_tasks_comes_back_and_leaves_other_tabs_alone(label_studio):
    url, token = label_studio
    api = Api(url, token)
    pid = api.call('POST', '/api/projects', json={'title': 'Review tab', 'label_config': LABEL_CONFIG})['id']
    api.call('POST', f'/api/projects/{pid}/import', json=[{'text': f'text {i}'} for i in range(30)])
    ids = sorted(task['id'] for task in api.tasks(pid))
    mine = api.call('POST', '/api/dm/views', json={'project': pid, 'data': {'title': 'My tab', 'filters': {
        'conjunction': 'and', 'items': [{'filter': 'filter:tasks:id', 'operator': 'greater', 'type': 'Number',
                                         'value': ids[20]}]}}})
    label_studio_project = LabelStudioProject(url, token, pid)

    tab = label_studio_project.show_tasks(TITLE, [ids[3], ids[17], ids[29]])
    assert listed(api, pid, tab) == [ids[3], ids[17], ids[29]]
    assert label_studio_project.show_tasks(TITLE, [ids[5]], tab) == tab, 'updated in place'
    assert listed(api, pid, tab) == [ids[5]]
    assert label_studio_project.show_tasks(TITLE, [ids[6]], None) == tab, 'found by its title: never duplicated'
    assert label_studio_project.show_tasks(TITLE, [], tab) == tab and listed(api, pid, tab) == []

    api.call('DELETE', f'/api/dm/views/{tab}')
    again = label_studio_project.show_tasks(TITLE, [ids[8]], tab)
    assert again != tab and listed(api, pid, again) == [ids[8]], 'a deleted tab comes back'
    tabs = api.call('GET', f'/api/dm/views?project={pid}')
    assert sorted(t['data']['title'] for t in tabs) == sorted(['My tab', TITLE])
    assert next(t for t in tabs if t['id'] == mine['id'])['data'] == mine['data'], 'the user\'s tab untouched'

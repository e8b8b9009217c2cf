"""Calls back into Label Studio through label-studio-sdk."""
import json
import logging
from contextlib import contextmanager

import httpx
import ijson
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError

logger = logging.getLogger(__name__)

PAGE_SIZE = 1000
"""Tasks per page when listing a project."""

UNLABELED = {'filter': 'filter:tasks:total_annotations', 'operator': 'equal', 'type': 'Number', 'value': 0}
LABELED = {**UNLABELED, 'operator': 'greater'}
"""Data Manager filters: tasks without / with an annotation that was not skipped."""

UNCERTAINTY_SAMPLING = 'Uncertainty sampling'
"""Label Studio's sampling mode that serves the lowest prediction score first."""

REQUEST_TIMEOUT = 600
"""Seconds one API call may take: importing 5,000 predictions into a project of 100,000 tasks took Label
Studio 1.23.2 (SQLite, 2 cores) over 60 s."""


class LabelStudioUnavailable(Exception):
    """Label Studio did not answer, or answered with a server error."""


@contextmanager
def _reaching(what):
    """Turn a connection failure or a 5xx of ``what`` into :class:`LabelStudioUnavailable`."""
    try:
        yield
    except httpx.TransportError as error:
        raise LabelStudioUnavailable(f'{what}: {type(error).__name__}: {error}') from error
    except ApiError as error:
        if error.status_code is not None and error.status_code < 500:
            raise
        raise LabelStudioUnavailable(f'{what}: HTTP {error.status_code}') from error


def _check(response, what):
    """Raise :class:`LabelStudioUnavailable` for a 5xx answer to ``what``, ``httpx.HTTPStatusError`` for a 4xx."""
    if response.status_code >= 500:
        raise LabelStudioUnavailable(f'{what}: HTTP {response.status_code}')
    response.raise_for_status()


class LabelStudioProject:
    """One project of a Label Studio server.

    Args:
        url: the server's base URL.
        api_key: a legacy API token or a personal access token.
        project_id: the numeric project id.
    """

    def __init__(self, url, api_key, project_id):
        self.client = LabelStudio(base_url=url.rstrip('/'), api_key=api_key, timeout=REQUEST_TIMEOUT)
        self.id = int(project_id)

    @classmethod
    def for_project(cls, ctx, project):
        """The project on the Label Studio server the settings name."""
        return cls(ctx.settings.label_studio_url, ctx.settings.label_studio_api_key, project.id)

    def labeled_tasks(self):
        """The tasks with an annotation, as dicts with their annotations (whole: ``include`` would cut
        each annotation down to its id)."""
        for tasks, _ in self._pages(LABELED, fields='all'):
            yield from tasks

    def unlabeled_pages(self):
        """The tasks without an annotation, a page at a time: ``(tasks, total)`` with ``{'id', 'data'}``
        dicts and the number of such tasks when the listing started."""
        total = None
        for tasks, remaining in self._pages(UNLABELED, fields='task_only', include='id,data'):
            total = remaining if total is None else total
            yield tasks, total

    def _pages(self, condition, fields, include=None):
        """Pages of the tasks matching ``condition`` with ``fields`` (or only those ``include`` names), by id.

        A page starts after the last id of the one before (not at an offset),
        so tasks labeled during the listing shift nothing. Yields ``(tasks,
        number matching from this page on)``.
        """
        last = 0
        while True:
            after = {'filter': 'filter:tasks:id', 'operator': 'greater', 'type': 'Number', 'value': last}
            query = {'filters': {'conjunction': 'and', 'items': [condition, after]}, 'ordering': ['tasks:id']}
            params = {'project': self.id, 'fields': fields, 'page_size': PAGE_SIZE, 'query': json.dumps(query),
                      **({'include': include} if include else {})}
            body = self._request('GET', 'api/tasks', f'listing the tasks of project {self.id}', params=params)
            tasks = body['tasks']
            if tasks:
                yield tasks, body.get('total', len(tasks))
            if len(tasks) < PAGE_SIZE:
                return
            last = tasks[-1]['id']

    def import_predictions(self, predictions):
        """Store predictions (dicts with ``task``, ``result``, ``score``, ``model_version``)."""
        if predictions:
            with _reaching(f'importing predictions into project {self.id}'):
                self.client.projects.import_predictions(id=self.id, request=predictions)

    def create_prediction(self, prediction):
        """Store one prediction with its ``cluster``, which the bulk import drops (Label Studio 1.23.2)."""
        with _reaching(f'creating a prediction of task {prediction["task"]}'):
            self.client.predictions.create(**prediction)

    def model_versions(self):
        """``{model_version: number of predictions}`` stored in the project."""
        return self._request('GET', f'api/projects/{self.id}/model-versions/',
                             f'listing the model versions of project {self.id}')

    def predictions_of(self, versions):
        """``(prediction id, model_version)`` of each prediction of one of ``versions`` in the project.

        Label Studio 1.23.2 lists a project's predictions in one answer, every version's with its results:
        it is read as a stream and only the ids asked for are kept.
        """
        what = f'listing the predictions of project {self.id}'
        found, items = [], ijson.sendable_list()
        parser = ijson.items_coro(items, 'item')
        with _reaching(what), self.client._client_wrapper.httpx_client.stream(
                'api/predictions/', method='GET', params={'project': self.id}) as response:
            _check(response, what)
            for chunk in response.iter_bytes():
                parser.send(chunk)
                found.extend((item['id'], item['model_version']) for item in items
                             if item.get('model_version') in versions)
                del items[:]
        parser.close()
        return found

    def delete_prediction(self, prediction_id):
        """Delete one prediction, in a transaction of its own; returns False if it was already gone."""
        try:
            self._request('DELETE', f'api/predictions/{prediction_id}/', f'deleting prediction {prediction_id}')
        except httpx.HTTPStatusError as error:
            if error.response.status_code != 404:
                raise
            return False
        return True

    def _request(self, method, path, what, **kwargs):
        # label-studio-sdk 2.x has no method for these endpoints or parameters; its HTTP client adds the auth.
        with _reaching(what):
            response = self.client._client_wrapper.httpx_client.request(path, method=method, **kwargs)
        _check(response, what)
        return response.json() if response.content else None

    def show_tasks(self, title, task_ids, tab_id=None):
        """Make the Data Manager tab ``title`` list exactly ``task_ids``; returns its id.

        The tab ``tab_id`` names is updated; if it is gone (a user deleted it), the project's tab titled
        ``title`` is, and only where there is none a new one is created. Other tabs are never touched. The
        filter is one ``in_list`` over task ids: Label Studio 1.23.2 answers it exactly, and it stays one SQL
        ``IN`` however many tasks it names (a chain of ``equal`` filters joined by ``or`` nests one level per
        task, and SQLite stops at 1,000).
        """
        what = f'the Data Manager tab {title!r} of project {self.id}'
        tabs = self._request('GET', 'api/dm/views', f'listing {what}', params={'project': self.id})
        ours = [tab for tab in tabs if tab['id'] == tab_id] or [tab for tab in tabs
                                                                 if tab['data'].get('title') == title]
        task_filter = {'filter': 'filter:tasks:id', 'operator': 'in_list', 'type': 'Number',
                       'value': [int(task) for task in task_ids]}
        data = {**(ours[0]['data'] if ours else {}), 'title': title,
                'filters': {'conjunction': 'and', 'items': [task_filter]}}
        body = {'project': self.id, 'data': data}
        if ours:
            return self._request('PATCH', f'api/dm/views/{ours[0]["id"]}', f'updating {what}', json=body)['id']
        return self._request('POST', 'api/dm/views', f'creating {what}', json=body)['id']

    def restore_sampling(self):
        """Order the project by its scores again (a user saved a settings page that switched it back)."""
        with _reaching(f'updating project {self.id}'):
            self.client.projects.update(id=self.id, sampling=UNCERTAINTY_SAMPLING)
        logger.info('Label Studio project %s: sampling set back to %s', self.id, UNCERTAINTY_SAMPLING)

    def use_version(self, version, uncertainty_sampling):
        """Make ``version``'s scores the ones the project orders by."""
        fields = {'model_version': version}
        if uncertainty_sampling:
            fields['sampling'] = UNCERTAINTY_SAMPLING
        with _reaching(f'updating project {self.id}'):
            self.client.projects.update(id=self.id, **fields)
        logger.info('Label Studio project %s: model_version set to %s', self.id, version)

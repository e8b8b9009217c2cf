"""The Label Studio ML backend protocol: /health, /setup, /predict."""
import logging

from flask import Blueprint

from backend.errors import PayloadTooLarge, RequestError, Unprocessable
from backend.predictions import predict_tasks, request_rng
from backend.project_state import COLD_START, UNTRAINED
from backend.scheduler import catch_up
from backend.views.common import context, count, json_object, model_thread, parse_json
from model.task_types import OPTIONS, STRATEGY_NAMES, LabelConfigError, parse_label_config
from strategies import UnknownStrategyError, check_strategy

logger = logging.getLogger(__name__)

bp = Blueprint('ml', __name__)

PROJECT_PARAMS = {
    'strategy': lambda value: check_strategy(value, STRATEGY_NAMES),
    'train_every': lambda value: _positive_int('train_every', value),
    'uncertainty_sampling': lambda value: _boolean('uncertainty_sampling', value),
    **{name: lambda value, name=name, parse=parse: _option(name, parse, value) for name, parse in OPTIONS.items()},
}
"""Settings a project may override through the model's "extra params" in Label Studio (the task types'
options among them)."""


@bp.get('/')
@bp.get('/health')
def health():
    context().redis.ping()
    return {'status': 'UP', 'model_class': 'ActiveLearningBackend'}


@bp.post('/setup')
def setup():
    body = json_object()
    project = context().project_named(body.get('project'))
    schema = body.get('schema')
    if not isinstance(schema, str):
        raise RequestError('schema: expected the project\'s labeling config (XML text)')
    params = _project_params(body.get('extra_params'))
    try:
        task_type = parse_label_config(schema)
        strategy = context().strategy(task_type, params)
        try:
            check_strategy(strategy, task_type.STRATEGIES)
        except UnknownStrategyError:
            raise Unprocessable(f'strategy: {strategy!r} does not score {task_type.NAME} tasks; choose one of '
                                f'{", ".join(task_type.STRATEGIES)}, or FIRST@N/THEN of two of them') from None
    except (LabelConfigError, Unprocessable) as error:
        # Label Studio shows its user only "422 Client Error": keep the reason where people look.
        logger.warning('Project %s: /setup refused: %s', project.id, error)
        project.record_setup_error(str(error))
        raise
    project.save_label_config(schema)
    project.save_params(params)
    project.record_setup_error(None)
    catch_up(context(), project)
    if task_type.ignored:
        logger.info('Project %s: serving %s; ignored: %s', project.id, task_type.from_name,
                    '; '.join(task_type.ignored))
    return {'model_version': project.model_version(), 'task_type': task_type.NAME, 'ignored': list(task_type.ignored)}


@bp.post('/predict')
def predict():
    ctx = context()
    body = json_object()
    tasks = body.get('tasks')
    if not isinstance(tasks, list) or not all(isinstance(task, dict) for task in tasks):
        raise RequestError('tasks: expected a list of task objects')
    project = ctx.project_named(body['project']) if body.get('project') else None
    xml = body.get('label_config')
    if xml is not None and not isinstance(xml, str):
        raise RequestError('label_config: expected the labeling config as XML text')
    task_type = ctx.configured(parse_label_config(xml), project) if xml else project and ctx.task_type(project)
    if not task_type:
        raise RequestError('label_config: missing, and no config is stored for this project')
    _check_size(tasks, task_type, ctx.settings)
    version = project.model_version() if project else UNTRAINED
    results = model_thread().run(_predictions, ctx, project, version, task_type, tasks)
    count('predictions', len(results))
    return {'results': results, 'model_version': version}


def _predictions(ctx, project, version, task_type, tasks):
    """The predictions of ``version`` (loaded if needed) for ``tasks``: the part of /predict that runs the model."""
    predictor = ctx.models.get(project.id, version) if version not in (UNTRAINED, COLD_START) else None
    if predictor is not None and predictor.card.kind != task_type.NAME:
        predictor = None  # the config changed type since that version: random order until retrained
    rng = request_rng(project.id if project else 0, version, tasks)
    results, _ = predict_tasks(tasks, task_type, predictor, version, ctx.acquisition(project, task_type), rng,
                               ctx.reader)
    return results


def _check_size(tasks, task_type, settings):
    """Refuse a request over ``MAX_PREDICT_TASKS`` tasks or ``MAX_PREDICT_CHARS`` characters of data."""
    if len(tasks) > settings.max_predict_tasks:
        raise PayloadTooLarge(f'tasks: {len(tasks)} in one request; the limit is MAX_PREDICT_TASKS='
                              f'{settings.max_predict_tasks} (select fewer tasks)')
    chars = sum(len(task['data'][task_type.field]) for task in tasks
                if isinstance(task.get('data'), dict) and isinstance(task['data'].get(task_type.field), str))
    if chars > settings.max_predict_chars:
        raise PayloadTooLarge(f'tasks: {chars} characters of data.{task_type.field}; the limit is '
                              f'MAX_PREDICT_CHARS={settings.max_predict_chars} (select fewer tasks)')


def _project_params(extra_params):
    """Validated per-project settings from Label Studio's "extra params" (dict or JSON text)."""
    if extra_params in (None, ''):
        return {}
    if isinstance(extra_params, str):
        extra_params = parse_json(extra_params, 'extra_params')
    if not isinstance(extra_params, dict):
        raise RequestError('extra_params: expected a JSON object')
    unknown = sorted(set(extra_params) - set(PROJECT_PARAMS))
    if unknown:
        raise RequestError(f'extra_params: unknown key(s) {unknown}; known: {sorted(PROJECT_PARAMS)}')
    return {name: PROJECT_PARAMS[name](value) for name, value in extra_params.items()}


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RequestError(f'extra_params.{name}: expected an integer >= 1, got {value!r}')
    return value


def _option(name, parse, value):
    try:
        return parse(value)
    except (TypeError, ValueError, ArithmeticError) as error:
        raise RequestError(f'extra_params.{name}: {error}') from None


def _boolean(name, value):
    if not isinstance(value, bool):
        raise RequestError(f'extra_params.{name}: expected true or false, got {value!r}')
    return value

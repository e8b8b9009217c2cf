"""The Flask application factory."""
import logging
import os

from flask import Flask, jsonify
from redis.exceptions import RedisError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from backend.auth import check_auth, warn_of_refused_webhooks
from backend.connection import connect
from backend.context import Context
from backend.errors import RequestError, Unauthorized
from backend.memory import trim_after_large_requests
from backend.metrics import observe_request, start_timer
from backend.model_thread import ModelThread
from backend.settings import Settings, SettingsError
from backend.views import ml, page, status, webhook
from model import ModelError, ModelNotFoundError
from model.task_types import AnnotationRejected, LabelConfigError
from strategies import StrategyError

logger = logging.getLogger(__name__)

def create_app(test_config=None, redis=None):
    """Build the app.

    Args:
        test_config: environment-style overrides (``{'TRAIN_EVERY': '2'}``)
            applied over ``os.environ``.
        redis: a Redis client to use instead of connecting to ``REDIS_URL``
            (``lsal start`` passes its embedded server).
    """
    settings = Settings.from_env({**os.environ, **(test_config or {})})
    if redis is None:
        if not settings.redis_url:
            raise SettingsError('REDIS_URL: not set; use `lsal start` for an embedded Redis')
        redis = connect(settings.redis_url)
    warn_of_refused_webhooks(settings)
    app = Flask(__name__)
    app.config.from_mapping(MAX_CONTENT_LENGTH=settings.max_request_bytes, JSON_SORT_KEYS=False)
    model_thread = ModelThread()
    app.extensions['lsal'] = model_thread.run(Context.create, settings, redis)  # calibrates the runtime there
    app.extensions['lsal.model_thread'] = model_thread
    app.before_request(start_timer)
    app.before_request(check_auth)
    app.after_request(observe_request)
    app.after_request(trim_after_large_requests)
    app.register_blueprint(ml.bp)
    app.register_blueprint(webhook.bp)
    app.register_blueprint(status.bp)
    app.register_blueprint(page.bp)
    _register_error_handlers(app)
    return app


def _register_error_handlers(app):
    def answer(status, message):
        return jsonify({'error': message, 'status': status}), status

    @app.errorhandler(RequestError)
    def request_error(error):
        response = answer(error.status, str(error))
        if isinstance(error, Unauthorized):  # a browser then asks for the credentials
            response[0].headers['WWW-Authenticate'] = 'Basic realm="lsal", charset="UTF-8"'
        return response

    @app.errorhandler(LabelConfigError)
    @app.errorhandler(AnnotationRejected)
    @app.errorhandler(StrategyError)
    def unprocessable(error):
        return answer(422, str(error))

    @app.errorhandler(ModelNotFoundError)
    def model_missing(error):
        return answer(503, f'{error}; do the web process and the worker share MODEL_DIR?')

    @app.errorhandler(ModelError)
    def model_error(error):
        return answer(500, str(error))

    @app.errorhandler(RedisError)
    def redis_down(error):
        logger.error('Redis: %s', error)
        return answer(503, 'Redis is unavailable; check REDIS_URL')

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error):
        return answer(413, f'body: over MAX_REQUEST_BYTES={app.config["MAX_CONTENT_LENGTH"]} bytes; a bulk '
                           'import that large is better sent in parts')

    @app.errorhandler(HTTPException)
    def http_error(error):
        return answer(error.code, error.description)

    @app.errorhandler(Exception)
    def unexpected(error):
        # The traceback goes to the log, never to the client.
        logger.exception('Unexpected error: %s', type(error).__name__)
        return answer(500, 'internal error; see the backend log')

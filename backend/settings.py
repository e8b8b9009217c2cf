"""Configuration read from environment variables, in one place."""
import os
from dataclasses import dataclass, field, fields

from model.acquisition import MC_PASSES
from model.device import device_name
from model.task_types import OPTIONS, STRATEGY_NAMES, WEIGHT_SETTINGS, Reader
from model.training import TrainingConfig
from strategies import STOP_KAPPA, agreement_threshold, check_strategy


class SettingsError(ValueError):
    """An environment variable with a value the backend cannot use."""


def _flag(value):
    lowered = str(value).strip().lower()
    if lowered in ('1', 'true', 'yes', 'on'):
        return True
    if lowered in ('0', 'false', 'no', 'off', ''):
        return False
    raise ValueError(f'expected true or false, got {value!r}')


def _flag_or_auto(value):
    return 'auto' if str(value).strip().lower() == 'auto' else _flag(value)


def _positive_int(value):
    number = int(value)
    if number < 1:
        raise ValueError(f'expected an integer >= 1, got {value!r}')
    return number


def _image_size(value):
    number = int(value)
    if not 32 <= number <= 1024:
        raise ValueError(f'expected a side in pixels from 32 to 1024, got {value!r}')
    return number


def _mc_passes(value):
    number = int(value)
    if number < 2:
        raise ValueError(f'expected an integer >= 2 (BALD compares passes), got {value!r}')
    return number


def _fraction(value):
    number = float(value)
    if not 0.0 <= number < 1.0:
        raise ValueError(f'expected a number in [0, 1), got {value!r}')
    return number


def _non_negative_int(value):
    number = int(value)
    if number < 0:
        raise ValueError(f'expected an integer >= 0, got {value!r}')
    return number


def _non_negative(value):
    number = float(value)
    if not number >= 0.0:
        raise ValueError(f'expected a number >= 0, got {value!r}')
    return number


def _strategy(value):
    return check_strategy(str(value), STRATEGY_NAMES)


def _port(value):
    number = int(value)
    if not 1 <= number <= 65535:
        raise ValueError(f'expected a port from 1 to 65535, got {value!r}')
    return number


ALIASES = {'WORKERS': 'WEB_WORKERS', 'THREADS': 'WEB_THREADS'}
"""label-studio-ml-backend's names of settings, read when the backend's own name is not set."""


@dataclass(frozen=True)
class Settings:
    """Every setting, named after its environment variable in lower case.

    ``epochs`` and ``learning_rate`` left unset (None) take the task type's
    recipe (:attr:`~model.task_type.TaskType.RECIPE`), ``strategy`` its
    :attr:`~model.task_type.TaskType.DEFAULT_STRATEGY`. ``weights`` maps each
    task type's pretrained-model setting (``BASE_MODEL``, ``IMAGE_MODEL``, ...;
    :data:`~model.task_types.WEIGHT_SETTINGS`) in lower case to its value;
    ``options`` holds the task types' options set in the environment
    (:data:`~model.task_types.OPTIONS`, such as ``BOX_THRESHOLD``). A variable
    set to the empty string counts as unset (as docker compose passes
    ``${VAR:-}``), and the :data:`ALIASES` count when their setting is unset.

    Secrets, and the URLs that may carry a password, are left out of ``repr`` so that logging the
    settings leaks nothing.
    """

    redis_url: str = field(default='', repr=False)
    model_dir: str = 'models'
    weights: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)
    label_studio_url: str = field(default='', repr=False)
    label_studio_api_key: str = field(default='', repr=False)
    basic_auth_user: str = ''
    basic_auth_pass: str = field(default='', repr=False)
    webhook_secret: str = field(default='', repr=False)
    strategy: str = None
    train_every: int = 10
    keep_versions: int = 3
    eval_fraction: float = 0.2
    min_eval_labels: int = 20
    publish_tolerance: float = 0.02
    uncertainty_sampling: bool = True
    push_chunk: int = 5000
    push_pause: float = 0.0
    cluster_tasks: int = 100
    delete_old_predictions: bool = True
    leave_out_below: float = 0.0
    epochs: int = None
    batch_size: int = TrainingConfig.batch_size
    learning_rate: float = None
    max_length: int = TrainingConfig.max_length
    mc_passes: int = MC_PASSES
    stop_agreement: float = STOP_KAPPA
    device: str = 'auto'
    inference_bf16: object = 'auto'
    training_bf16: object = 'auto'
    max_text_chars: int = Reader.max_chars
    image_size: int = TrainingConfig.image_size
    max_image_bytes: int = Reader.max_image_bytes
    max_image_pixels: int = Reader.max_image_pixels
    media_cache_mb: int = 2048
    max_predict_tasks: int = 10000
    max_predict_chars: int = 20_000_000
    max_request_bytes: int = 64 * 1024 * 1024
    queue_name: str = 'lsal'
    host: str = '0.0.0.0'
    port: int = 9090
    web_workers: int = 1
    web_threads: int = 4
    review_tab: str = 'Review: likely label errors'
    train_timeout: int = 3600
    rescore_timeout: int = 3600
    log_level: str = 'INFO'

    @classmethod
    def from_env(cls, environ=None):
        """Settings from ``environ`` (default ``os.environ``); unset variables keep their defaults.

        Raises:
            SettingsError: a variable that does not parse, named with its value.
        """
        environ = os.environ if environ is None else environ
        environ = {name: value for name, value in environ.items() if value != ''}
        environ.update({name: environ[alias] for alias, name in ALIASES.items()
                        if alias in environ and name not in environ})
        values, options = {}, {}
        for spec in fields(cls):
            name = spec.name.upper()
            if name not in environ or spec.name in ('weights', 'options'):
                continue
            parse = _PARSERS.get(spec.name, spec.type if spec.type is not bool else _flag)
            try:
                values[spec.name] = parse(environ[name])
            except ValueError as error:
                raise SettingsError(f'{name}: {error}') from None
        for name, parse in OPTIONS.items():
            if name.upper() in environ:
                try:
                    options[name] = parse(environ[name.upper()])
                except ValueError as error:
                    raise SettingsError(f'{name.upper()}: {error}') from None
        weights = {name: environ.get(name.upper()) or default() for name, default in WEIGHT_SETTINGS.items()}
        settings = cls(**values, weights=weights, options=options)
        if bool(settings.basic_auth_user) != bool(settings.basic_auth_pass):
            raise SettingsError('BASIC_AUTH_USER and BASIC_AUTH_PASS: set both or neither')
        return settings

    @classmethod
    def variables(cls):
        """The name of every environment variable read."""
        return {spec.name.upper() for spec in fields(cls) if spec.name not in ('weights', 'options')} | {
            name.upper() for name in (*WEIGHT_SETTINGS, *OPTIONS)} | set(ALIASES)

    def weight(self, name):
        """The pretrained model the setting ``name`` (a :data:`~model.task_types.WEIGHT_SETTINGS` key) names."""
        return self.weights.get(name) or WEIGHT_SETTINGS[name]()

    @property
    def base_model(self):
        """The text encoder (``BASE_MODEL``): the bfloat16 calibration measures it."""
        return self.weight('base_model')

    @property
    def label_studio_enabled(self):
        """Whether the backend can call Label Studio back (sync labels, push scores)."""
        return bool(self.label_studio_url and self.label_studio_api_key)


_PARSERS = {
    'strategy': _strategy,
    'train_every': _positive_int,
    'keep_versions': _positive_int,
    'min_eval_labels': _positive_int,
    'epochs': _positive_int,
    'mc_passes': _mc_passes,
    'batch_size': _positive_int,
    'max_length': _positive_int,
    'max_text_chars': _positive_int,
    'image_size': _image_size,
    'max_image_bytes': _positive_int,
    'max_image_pixels': _positive_int,
    'media_cache_mb': _positive_int,
    'max_predict_tasks': _positive_int,
    'max_predict_chars': _positive_int,
    'max_request_bytes': _positive_int,
    'train_timeout': _positive_int,
    'port': _port,
    'web_workers': _positive_int,
    'web_threads': _positive_int,
    'rescore_timeout': _positive_int,
    'push_chunk': _positive_int,
    'push_pause': _non_negative,
    'cluster_tasks': _non_negative_int,
    'eval_fraction': _fraction,
    'publish_tolerance': _fraction,
    'leave_out_below': _fraction,
    'stop_agreement': agreement_threshold,
    'uncertainty_sampling': _flag,
    'device': device_name,
    'inference_bf16': _flag_or_auto,
    'training_bf16': _flag_or_auto,
}

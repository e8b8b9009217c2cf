import pytest

from backend.settings import Settings, SettingsError
from model.task_types import WEIGHT_SETTINGS


def test_defaults_and_parsing():
    settings = Settings.from_env({'TRAIN_EVERY': '5', 'UNCERTAINTY_SAMPLING': 'off', 'EVAL_FRACTION': '0',
                                  'STOP_AGREEMENT': '0.9'})
    assert settings.train_every == 5
    assert settings.stop_agreement == 0.9
    assert settings.uncertainty_sampling is False
    assert settings.eval_fraction == 0.0
    assert settings.strategy is None, "unset: each task type's default"
    assert settings.base_model.endswith('model')
    assert (settings.device, settings.inference_bf16) == ('auto', 'auto')
    assert Settings.from_env({'DEVICE': 'CUDA:1', 'INFERENCE_BF16': 'off'}).device == 'cuda:1'
    assert settings.weight('image_model').endswith('.pth') and settings.image_size == 224
    assert Settings.from_env({'IMAGE_MODEL': '/w.pth', 'IMAGE_SIZE': '96'}).weight('image_model') == '/w.pth'


def test_each_task_types_pretrained_model_is_a_setting_with_its_default():
    settings = Settings.from_env({'BASE_MODEL': '/text'})
    assert set(settings.weights) == set(WEIGHT_SETTINGS) == {'base_model', 'image_model', 'detection_model'}
    assert settings.base_model == settings.weight('base_model') == '/text'
    assert Settings().weight('image_model') == WEIGHT_SETTINGS['image_model']()
    assert {'BASE_MODEL', 'IMAGE_MODEL', 'DETECTION_MODEL', 'STRATEGY'} <= Settings.variables()
    assert not {'WEIGHTS', 'OPTIONS'} & Settings.variables()


def test_task_type_options_are_settings_and_refused_naming_the_variable():
    settings = Settings.from_env({'BOX_THRESHOLD': '0.3', 'MAX_BOXES': '7'})
    assert settings.options == {'box_threshold': 0.3, 'max_boxes': 7}
    assert {'BOX_THRESHOLD', 'MAX_BOXES'} <= Settings.variables()
    with pytest.raises(SettingsError, match=r"BOX_THRESHOLD: expected a number in \(0, 1\], got '1.5'"):
        Settings.from_env({'BOX_THRESHOLD': '1.5'})


def test_an_empty_variable_is_unset_as_docker_compose_passes_it():
    settings = Settings.from_env({'STRATEGY': '', 'TRAIN_EVERY': '', 'LABEL_STUDIO_URL': '', 'BASE_MODEL': ''})
    assert settings.strategy is None and settings.train_every == 10
    assert settings.base_model == WEIGHT_SETTINGS['base_model']()


def test_label_studio_ml_backends_names_are_aliases():
    settings = Settings.from_env({'WORKERS': '3', 'THREADS': '8'})
    assert (settings.web_workers, settings.web_threads) == (3, 8)
    assert Settings.from_env({'WORKERS': '3', 'WEB_WORKERS': '5'}).web_workers == 5, 'our name wins'
    assert {'WORKERS', 'THREADS', 'HOST', 'PORT'} <= Settings.variables()


def test_secrets_stay_out_of_repr():
    settings = Settings.from_env({'LABEL_STUDIO_API_KEY': 'tok-123', 'BASIC_AUTH_USER': 'u',
                                  'BASIC_AUTH_PASS': 'pw-456', 'WEBHOOK_SECRET': 'hook-789'})
    text = repr(settings)
    assert 'tok-123' not in text and 'pw-456' not in text and 'hook-789' not in text


@pytest.mark.parametrize('environ, message', [
    ({'TRAIN_EVERY': '0'}, 'TRAIN_EVERY: expected an integer >= 1'),
    ({'TRAIN_EVERY': 'ten'}, 'TRAIN_EVERY'),
    ({'STRATEGY': 'best'}, "STRATEGY: strategy: unknown 'best'"),
    ({'EVAL_FRACTION': '1.5'}, 'EVAL_FRACTION'),
    ({'STOP_AGREEMENT': '0'}, r'STOP_AGREEMENT: expected a number in \(0, 1\]'),
    ({'UNCERTAINTY_SAMPLING': 'maybe'}, 'UNCERTAINTY_SAMPLING'),
    ({'BASIC_AUTH_USER': 'u'}, 'set both or neither'),
    ({'DEVICE': 'gpu'}, "DEVICE: expected auto, cpu, cuda or cuda:N, got 'gpu'"),
    ({'INFERENCE_BF16': 'fast'}, 'INFERENCE_BF16: expected true or false'),
    ({'IMAGE_SIZE': '4096'}, 'IMAGE_SIZE: expected a side in pixels from 32 to 1024'),
    ({'MAX_IMAGE_PIXELS': '0'}, 'MAX_IMAGE_PIXELS: expected an integer >= 1'),
    ({'PORT': 'abc'}, 'PORT'),
    ({'PUSH_PAUSE': '-1'}, r"PUSH_PAUSE: expected a number >= 0, got '-1'"),
    ({'PUSH_PAUSE': 'nan'}, 'PUSH_PAUSE: expected a number >= 0'),
    ({'PUSH_CHUNK': '0'}, 'PUSH_CHUNK: expected an integer >= 1'),
    ({'CLUSTER_TASKS': '-1'}, "CLUSTER_TASKS: expected an integer >= 0, got '-1'"),
    ({'PORT': '70000'}, 'PORT: expected a port from 1 to 65535'),
    ({'WORKERS': '0'}, 'WEB_WORKERS: expected an integer >= 1'),
])
def test_bad_values_name_the_variable(environ, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(environ)


def test_mc_passes_needs_two():
    with pytest.raises(SettingsError, match='MC_PASSES: expected an integer >= 2'):
        Settings.from_env({'MC_PASSES': '1'})

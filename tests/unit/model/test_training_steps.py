"""How many optimizer steps a fine-tune takes, by number of labeled examples, and a fine-tune that diverges."""
import pytest
import torch

from model.exceptions import TrainingDivergedError
from model.image_classification import ImageClassification
from model.spans.task_type import SpanLabeling
from model.text_classification import TextClassification
from model.training import TrainingConfig, optimize


@pytest.mark.parametrize('num_samples, steps', [(1, 64), (10, 64), (200, 64), (400, 75), (10_000, 600)])
def test_epochs_between_a_floor_and_a_ceiling(num_samples, steps):
    assert TrainingConfig(epochs=3, batch_size=16).num_steps(num_samples) == steps


@pytest.mark.parametrize('num_samples, steps', [(1, 24), (10, 24), (24, 24), (25, 25), (40, 40), (64, 64),
                                                (300, 64), (400, 75)])
def test_with_few_labels_the_floor_is_one_step_per_example(num_samples, steps):
    config = TrainingConfig(epochs=3, batch_size=16, few_labels_min_steps=24)
    assert config.num_steps(num_samples) == steps


def test_a_floor_of_zero_trains_the_epochs_alone():
    config = TrainingConfig(epochs=3, batch_size=16, few_labels_min_steps=24, min_steps=0)
    assert config.num_steps(10) == 3


def test_only_text_classification_shortens_the_floor():
    """Measured there; spans and images keep 64 steps, so their learning curves stay comparable."""
    assert TextClassification.training_config().num_steps(10) == 24
    assert SpanLabeling.training_config().num_steps(10) == 64
    assert ImageClassification.training_config().num_steps(10) == 64


def test_a_fine_tune_whose_weights_turn_nan_is_refused():
    module = torch.nn.Module()
    module.encoder, module.head = torch.nn.Linear(2, 2), torch.nn.Linear(2, 1)
    inputs = torch.ones(4, 2)

    def batch_loss(index):
        return (module.head(module.encoder(inputs[index])) * float('nan')).sum()

    with pytest.raises(TrainingDivergedError, match='weights are not finite after 2 steps'):
        optimize(module, 4, batch_loss, torch.nn.MSELoss(), TrainingConfig(min_steps=2, max_steps=2, batch_size=2))

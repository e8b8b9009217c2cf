"""Fine-tune a text classifier."""
import torch

from model.classification import classification_targets
from model.contracts import ModelCard
from model.device import CPU
from model.text_classification.network import TextClassifier
from model.text_classification.predictor import TextPredictor
from model.training import TrainingConfig
from model.transformer import load_tokenizer, train_steps

TEXT_CLASSIFICATION = 'text_classification'
"""``ModelCard.kind`` of a text classifier."""


def fine_tune(base_model, texts, targets, labels, multi_label=False, config=None, runtime=CPU):
    """Fine-tune ``base_model`` on ``texts`` and return a ready :class:`TextPredictor`.

    Args:
        base_model: a local folder or a model name of a transformers encoder.
        texts: training texts.
        targets: for each text, the list of its label names (exactly one unless
            ``multi_label``).
        labels: every label name, in the order of the output columns.
        multi_label: train independent yes/no outputs instead of a softmax.
        config: the :class:`~model.training.TrainingConfig`; its defaults when None.
        runtime: the :class:`~model.device.Runtime` to train and predict on.

    Raises:
        TrainingDataError: no texts, or a target naming an unknown label.
        ModelNotFoundError: ``base_model`` cannot be loaded.
    """
    config = config or TrainingConfig()
    target, loss_fn = classification_targets('texts', len(texts), targets, labels, multi_label, config)
    torch.manual_seed(config.seed)  # before the head is drawn
    tokenizer = load_tokenizer(base_model)
    classifier = TextClassifier.from_encoder(base_model, len(labels))
    encoded = tokenizer(list(texts), padding=True, truncation=True, max_length=config.max_length,
                        return_tensors='pt')
    train_steps(classifier, encoded['input_ids'], encoded['attention_mask'], target, loss_fn, config, runtime)

    card = ModelCard(labels=tuple(labels), multi_label=multi_label, max_length=config.max_length,
                     base_model=str(base_model), kind=TEXT_CLASSIFICATION)
    return TextPredictor(classifier, tokenizer, card, runtime)

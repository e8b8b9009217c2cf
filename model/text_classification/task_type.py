"""Text classification: one ``<Choices>`` over one ``<Text>``."""
from dataclasses import dataclass

from model.classification import Classification
from model.device import CPU
from model.label_config import inline_text_field
from model.text_classification.predictor import TextPredictor
from model.text_classification.training import TEXT_CLASSIFICATION, fine_tune
from model.transformer import default_text_model, text_embedder


@dataclass(frozen=True)
class TextClassification(Classification):
    """Choices over a text. Examples are ``{"task", "text", "choices"}``."""

    NAME = TEXT_CLASSIFICATION
    MODEL = TextPredictor
    OBJECT = 'Text'
    # From 10 to 40 labels, one step per label (at least 24) took half the time of 64 steps for about
    # one accuracy point less (up to 2.7 on BBC News): the first versions come sooner, and each is
    # replaced ten labels later (benchmarks/README.md, "Training recipe").
    RECIPE = {'few_labels_min_steps': 24}

    field_of = staticmethod(inline_text_field)
    default_weights = staticmethod(default_text_model)
    pretrained_embedder = staticmethod(text_embedder)

    def input_of(self, task, reader):
        """The task's text, cut at ``reader.max_chars`` characters (the model reads far fewer tokens)."""
        return super().input_of(task, reader)[:reader.max_chars]

    def fine_tune(self, base_model, examples, training, runtime=CPU):
        return fine_tune(base_model, [e['text'] for e in examples], [e['choices'] for e in examples],
                         list(self.labels), multi_label=self.multi_label, config=training, runtime=runtime)

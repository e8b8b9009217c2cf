"""A trained text classifier ready for inference."""
from model.classification import ClassifierModel
from model.text_classification.network import TextClassifier
from model.transformer import TransformerModel, run_batched


class TextPredictor(ClassifierModel, TransformerModel):
    """Batched inference with a :class:`~model.text_classification.network.TextClassifier` over texts."""

    MODULE = TextClassifier

    def _batched(self, texts, forward):
        return run_batched(self.tokenizer, texts, self.card.max_length, forward, self.runtime)

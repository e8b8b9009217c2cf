"""A transformer encoder with mean pooling and a linear classification head."""
from model.transformer import TransformerWithHead, mean_pool


class TextClassifier(TransformerWithHead):
    """Encoder + mean pooling + dropout + linear head.

    Mean pooling is what sentence encoders such as all-MiniLM-L6-v2 were trained
    with; their ``[CLS]`` pooler is untrained, which makes the stock
    ``*ForSequenceClassification`` head unstable with few labels.
    """

    def embed(self, input_ids, attention_mask):
        """Mean of the token embeddings, shape ``(batch, hidden_size)``."""
        return mean_pool(self.encoder, input_ids, attention_mask)

    def forward(self, input_ids, attention_mask):
        """Logits of shape ``(batch, num_classes)``."""
        return self.head(self.dropout(self.embed(input_ids, attention_mask)))

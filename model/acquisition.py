"""Run the model over a pool and hand the strategies what they need."""
from dataclasses import dataclass

from strategies import BATCH_STRATEGIES, representative, selection_scores

MC_PASSES = 20
"""Stochastic passes for BALD (last-layer MC dropout: cheap, the encoder runs once)."""


@dataclass(frozen=True)
class Acquisition:
    """How to score a pool.

    Attributes:
        strategy: a name from :data:`strategies.STRATEGIES`.
        batch_size: size of the diverse batch for ``badge`` and ``coreset``
            (None: the whole pool).
        labeled_texts: the labeled set's model inputs, which ``coreset`` covers first.
        mc_passes: stochastic passes for ``bald``.
    """

    strategy: str
    batch_size: int = None
    labeled_texts: tuple = ()
    mc_passes: int = MC_PASSES

    @property
    def per_task(self):
        """Whether a task's score depends on that task alone: then a pool may be scored a page at a time."""
        return self.strategy not in BATCH_STRATEGIES

    def score(self, predictor, texts, rng):
        """Probabilities and scores (lower = label first) for ``texts``.

        Returns:
            ``(inference, scores)``: the predictor's inference (its
            ``Inference`` or ``SpanInference``) and an array of shape ``(len(texts),)``.
        """
        inference = predictor.inference_for(self.strategy, texts, self.mc_passes, rng)
        labeled = None
        if self.strategy == 'coreset' and len(self.labeled_texts):
            labeled = predictor.embed(list(self.labeled_texts))
        scores = predictor.scores(self.strategy, inference, rng, labeled_embeddings=labeled,
                                  batch_size=self.batch_size or len(texts))
        return inference, scores


def cold_start_scores(embeddings, n, rng):
    """Scores for a pool before any label, from pretrained-encoder ``embeddings``: ``n`` representative
    tasks first (one typical task per k-means cluster, largest cluster first), then random."""
    selected = representative(embeddings, min(n, len(embeddings)), rng)
    return selection_scores(selected, rng.random(len(embeddings)))

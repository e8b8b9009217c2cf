"""Run the model over a pool and hand the strategies what they need."""
from dataclasses import dataclass, replace

import numpy as np

from strategies import (
    BATCH_STRATEGIES,
    CLASS_STRATEGIES,
    COVERAGE_STRATEGIES,
    POOL_RELATIVE_STRATEGIES,
    selection_scores,
    typiclust,
)

MC_PASSES = 20
"""Stochastic passes for BALD (last-layer MC dropout: cheap, the encoder runs once)."""


@dataclass(frozen=True)
class Acquisition:
    """How to score a pool.

    Attributes:
        strategy: a name from :data:`strategies.STRATEGIES`.
        batch_size: size of the diverse batch for ``badge`` and ``coreset``
            (None: the whole pool).
        labeled_texts: the labeled set's model inputs, which ``coreset`` and ``typiclust`` cover first.
        mc_passes: stochastic passes for ``bald``.
        labeled_counts: the labeled set's examples per label, ``(label, count)`` pairs in config order,
            which ``balanced`` levels (a model trained under other labels matches them by name).
    """

    strategy: str
    batch_size: int = None
    labeled_texts: tuple = ()
    mc_passes: int = MC_PASSES
    labeled_counts: tuple = ()

    @property
    def per_task(self):
        """Whether a task's score depends on that task alone: then a pool may be scored a page at a time."""
        return self.strategy not in (*BATCH_STRATEGIES, *CLASS_STRATEGIES, *POOL_RELATIVE_STRATEGIES)

    @property
    def reads_labeled(self):
        """Whether the strategy reads the labeled set (:meth:`with_labeled`)."""
        return self.strategy in (*COVERAGE_STRATEGIES, *CLASS_STRATEGIES)

    def with_labeled(self, task_type, examples):
        """This acquisition with what its strategy reads of the labeled ``examples`` (of ``task_type``)."""
        if self.strategy in COVERAGE_STRATEGIES:
            return replace(self, labeled_texts=tuple(task_type.model_input(e) for e in examples))
        if self.strategy in CLASS_STRATEGIES:
            return replace(self, labeled_counts=tuple(zip(task_type.labels, task_type.label_counts(examples))))
        return self

    def score(self, predictor, texts, rng, **options):
        """Probabilities and scores (lower = label first) for ``texts``; ``options`` go to the predictor's
        ``scores`` (a detector's ``threshold``).

        Returns:
            ``(inference, scores)``: the predictor's inference (its
            ``Inference`` or ``SpanInference``) and an array of shape ``(len(texts),)``.
        """
        inference = predictor.inference_for(self.strategy, texts, self.mc_passes, rng)
        labeled = None
        if self.strategy in COVERAGE_STRATEGIES and len(self.labeled_texts):
            labeled = predictor.embed(list(self.labeled_texts))
        counts = {'labeled_counts': self.labeled_counts} if self.strategy in CLASS_STRATEGIES else {}
        scores = predictor.scores(self.strategy, inference, rng, labeled_embeddings=labeled,
                                  batch_size=self.batch_size or len(texts), **counts, **options)
        return inference, scores


def cold_start_scores(embeddings, n, rng):
    """Scores for a pool before any label, from pretrained-encoder ``embeddings``: ``n`` representative
    tasks first (:func:`~strategies.typiclust` with nothing labeled: one typical task per k-means cluster,
    largest cluster first), then random."""
    embeddings = np.asarray(embeddings, dtype=np.float64)
    selected = typiclust(embeddings, np.zeros((0, embeddings.shape[1])), min(n, len(embeddings)), rng)
    return selection_scores(selected, rng.random(len(embeddings)))

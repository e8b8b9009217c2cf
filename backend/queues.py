"""The RQ queues: one per kind of work, so that scores never wait behind another project's training."""
from rq import Queue

SCORE = 'score'
"""Pushing scores to Label Studio: re-scoring after a version, the cold start."""

TRAIN = 'train'
"""Fine-tuning: minutes on a CPU, seconds on a GPU (a GPU worker may take only this queue)."""

KINDS = (SCORE, TRAIN)
"""Every kind, in the order a worker that takes several serves them."""


def queue_name(prefix, kind):
    """``<QUEUE_NAME>-<kind>``, e.g. ``lsal-train``."""
    return f'{prefix}-{kind}'


def queues(prefix, connection, kinds=KINDS):
    """``{kind: Queue}`` of ``kinds``."""
    return {kind: Queue(queue_name(prefix, kind), connection=connection) for kind in kinds}

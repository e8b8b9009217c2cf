"""What becomes training data when several annotations label one task: the label most of them gave."""
from collections import Counter


def annotator_of(annotation):
    """Who made a Label Studio annotation: the user id of ``completed_by`` (the API sends the id, some webhooks
    the user object); None when the annotation does not say."""
    who = annotation.get('completed_by')
    if isinstance(who, dict):
        who = who.get('id')
    return who if isinstance(who, int) and not isinstance(who, bool) else None


def consensus(task_type, annotations):
    """One example per task: the label that most of its annotations gave, as ``task_type.label_key`` tells
    labels apart; a tie goes to the newest annotation among the tied labels.

    Args:
        annotations: examples with their ``annotation`` id, any order.

    Returns:
        The chosen examples, oldest task first (by its first annotation), each with ``num_annotations`` and
        ``agreeing`` (how many gave the chosen label).
    """
    by_task = {}
    for example in sorted(annotations, key=lambda e: e['annotation']):
        by_task.setdefault(example['task'], []).append(example)
    chosen = []
    for examples in by_task.values():
        votes = Counter(task_type.label_key(e) for e in examples)
        top = max(votes.values())
        winner = [e for e in examples if votes[task_type.label_key(e)] == top][-1]
        chosen.append({**winner, 'num_annotations': len(examples), 'agreeing': top})
    return chosen

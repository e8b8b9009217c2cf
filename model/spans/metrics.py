"""Entity-level metrics of span labeling."""
from collections import Counter


def entity_metrics(true_spans, pred_spans):
    """Entity-level micro precision, recall and F1, and the F1 of each entity type.

    Args:
        true_spans: one collection of ``(start, end, label)`` spans per text;
            fields after the label (a score) are ignored and a repeated span
            counts once.
        pred_spans: the predicted spans, in the same form.

    Returns:
        ``precision``, ``recall``, ``f1``, ``per_type`` (the F1 of each type in
        either argument), ``num_eval`` (texts) and ``num_entities`` (true spans).

    A predicted entity is right only with the exact offsets and type (CoNLL):
    a partial overlap or a wrong type is a false positive and a false negative.
    With no true and no predicted entity every score is 1.0 (nothing missed,
    nothing invented); with entities on one side only, all are 0.0; with no
    text, nan. Swapping the arguments swaps precision and recall and keeps the
    F1s, so the F1 of one model version's spans against another's is an
    agreement score.
    """
    if len(pred_spans) != len(true_spans):
        raise ValueError(f'pred_spans: expected {len(true_spans)} span collections, got {len(pred_spans)}')
    true_count, pred_count, hit_count = Counter(), Counter(), Counter()
    for truth, guess in zip(true_spans, pred_spans):
        truth = {tuple(span[:3]) for span in truth}
        guess = {tuple(span[:3]) for span in guess}
        true_count.update(label for _, _, label in truth)
        pred_count.update(label for _, _, label in guess)
        hit_count.update(label for _, _, label in truth & guess)
    hits, num_true, num_pred = (sum(count.values()) for count in (hit_count, true_count, pred_count))
    # Without texts nothing was measured, as in classification_metrics.
    vacuous = 1.0 if true_spans else float('nan')
    return {
        'precision': hits / num_pred if num_pred else (0.0 if num_true else vacuous),
        'recall': hits / num_true if num_true else (0.0 if num_pred else vacuous),
        'f1': 2 * hits / (num_true + num_pred) if num_true + num_pred else vacuous,
        'per_type': {label: 2 * hit_count[label] / (true_count[label] + pred_count[label])
                     for label in sorted(true_count.keys() | pred_count.keys())},
        'num_eval': len(true_spans),
        'num_entities': num_true,
    }

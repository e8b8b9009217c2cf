"""Reading ``/metrics`` as Prometheus does."""
from prometheus_client.parser import text_string_to_metric_families


def samples(text):
    """``{(sample name, frozenset of label items): value}`` of a text exposition."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(text, name, **labels):
    """The value of the sample ``name`` with exactly ``labels``, or None."""
    return samples(text).get((name, frozenset((k, str(v)) for k, v in labels.items())))

"""Prometheus metrics kept in Redis, so that every web process and worker counts into the same series.

``/metrics`` renders them with ``prometheus_client`` through :class:`StateCollector`: counters and
histograms that any process adds to, queue depths, failed jobs, and per-project gauges read from the
project state at scrape time.
"""
import bisect
import itertools
import json
import logging
import time
from collections import defaultdict

from flask import current_app, g, request
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.utils import floatToGoString
from redis.exceptions import RedisError
from rq.registry import FailedJobRegistry, StartedJobRegistry

from backend import keys
from model.task_types import HELD_OUT_GAUGES, PER_LABEL_GAUGES

logger = logging.getLogger(__name__)

class Histogram:
    """A Prometheus histogram whose buckets are fields of one Redis hash: observations from every
    process add up, and a scrape of any web process sees them all."""

    def __init__(self, name, documentation, labelnames, buckets):
        self.name = name
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        self.buckets = tuple(float(b) for b in buckets)
        self.key = keys.histogram(name)

    def observe(self, redis, value, **labels):
        """Add one observation of ``value`` (seconds) to the series of ``labels``."""
        series = json.dumps([str(labels[name]) for name in self.labelnames])
        with redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(self.key, f'{series}|{bisect.bisect_left(self.buckets, value)}', 1)
            pipe.hincrbyfloat(self.key, f'{series}|sum', value)
            pipe.execute()

    def family(self, redis):
        """The histogram as a ``HistogramMetricFamily``, cumulative buckets and ``+Inf`` included."""
        counts = defaultdict(lambda: [0] * (len(self.buckets) + 1))
        sums = defaultdict(float)
        for field, value in redis.hgetall(self.key).items():
            series, _, slot = field.decode().rpartition('|')
            if slot == 'sum':
                sums[series] = float(value)
            else:
                counts[series][int(slot)] += int(value)
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for series, slots in sorted(counts.items()):
            cumulative = list(itertools.accumulate(slots))
            bounds = [floatToGoString(b) for b in self.buckets] + ['+Inf']
            family.add_metric(json.loads(series), list(zip(bounds, cumulative)), sums[series])
        return family


REQUEST_SECONDS = Histogram('lsal_request_seconds', 'Time to answer a request, by route, method and status.',
                            ('route', 'method', 'status'),
                            (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
JOB_BUCKETS = (1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600)
TRAINING_SECONDS = Histogram('lsal_training_seconds', 'Fine-tuning time of each version.', ('project',), JOB_BUCKETS)
RESCORE_SECONDS = Histogram('lsal_rescore_seconds', "Time to push a version's scores for every unlabeled task.",
                            ('project',), JOB_BUCKETS)
HISTOGRAMS = (REQUEST_SECONDS, TRAINING_SECONDS, RESCORE_SECONDS)


def start_timer():
    """``before_request`` hook: note when the request started."""
    g.request_started = time.perf_counter()


def observe_request(response):
    """``after_request`` hook: add the request's time to :data:`REQUEST_SECONDS` (never fails a response)."""
    started = g.pop('request_started', None)
    if started is not None:
        route = request.url_rule.rule if request.url_rule else 'unmatched'
        try:
            REQUEST_SECONDS.observe(current_app.extensions['lsal'].redis, time.perf_counter() - started,
                                    route=route, method=request.method, status=response.status_code)
        except RedisError as error:
            logger.debug('Request time not recorded: %s', error)
    return response


class StateCollector:
    """Everything ``/metrics`` shows, read from Redis at scrape time."""

    def __init__(self, ctx, project_ids):
        self.ctx = ctx
        self.project_ids = project_ids

    def collect(self):
        ctx = self.ctx
        stats = {k.decode(): int(v) for k, v in ctx.redis.hgetall(keys.STATS).items()}
        yield _counter('lsal_predictions', 'Predictions returned by /predict.', [({}, stats.get('predictions', 0))])
        webhooks = [({'action': k.split(':', 1)[1]}, v) for k, v in sorted(stats.items()) if k.startswith('webhook:')]
        yield _counter('lsal_webhooks', 'Webhooks received, by action (those not handled: ignored).', webhooks)
        queues = list(ctx.queues.values())
        yield _gauge('lsal_queue_jobs', 'Jobs waiting in each RQ queue.', [({'queue': q.name}, len(q)) for q in queues])
        yield _gauge('lsal_running_jobs', 'Jobs running, by queue.',
                     [({'queue': q.name}, StartedJobRegistry(queue=q).count) for q in queues])
        yield _gauge('lsal_failed_jobs', 'Jobs that failed for good (retries spent), by queue.',
                     [({'queue': q.name}, FailedJobRegistry(queue=q).count) for q in queues])
        yield from self._projects()
        for histogram in HISTOGRAMS:
            yield histogram.family(ctx.redis)

    def _projects(self):
        projects = {pid: self.ctx.project(pid) for pid in self.project_ids}
        yield _gauge('lsal_labeled_annotations', 'Annotations kept as training data.',
                     [({'project': pid}, p.count_examples()) for pid, p in projects.items()])
        yield _gauge('lsal_pending_annotations', 'Annotations stored since the running or last counted training '
                     'started.', [({'project': pid}, p.pending()) for pid, p in projects.items()])
        current = {pid: (p.current_version(), p.versions()) for pid, p in projects.items()}
        yield _gauge('lsal_model_info', 'The current model version of each project.',
                     [({'project': pid, 'version': v}, 1) for pid, (v, _) in current.items() if v])
        summaries = [(pid, v, s[v]) for pid, (v, s) in current.items() if v in s]
        evaluated = [(pid, v, s['metrics']) for pid, v, s in summaries if s['metrics'].get('evaluated')]
        for name, key in HELD_OUT_GAUGES.items():
            yield _gauge(f'lsal_model_{name}', f'Held-out {name.replace("_", " ")} of the current version.',
                         [({'project': pid, 'version': v}, m[key]) for pid, v, m in evaluated if key in m])
        for name, (key, label, documentation) in PER_LABEL_GAUGES.items():
            yield _gauge(f'lsal_model_{name}', documentation,
                         [({'project': pid, 'version': v, label: t}, value) for pid, v, m in evaluated
                          for t, value in sorted(m.get(key, {}).items())])
        agreements = [(pid, v, s['agreement']) for pid, v, s in summaries if s.get('agreement')]
        yield _gauge('lsal_model_agreement', 'Agreement between the current and the previous version on a fixed '
                     "sample of unlabeled tasks (the stop signal): Cohen's kappa of classes, or entity F1 of spans.",
                     [({'project': pid, 'version': v, 'measure': a['measure']}, a['value'])
                      for pid, v, a in agreements])
        yield _gauge('lsal_model_stabilized', 'Whether predictions have stabilized (1: more labels stop paying).',
                     [({'project': pid, 'version': v}, int(a['stabilized'])) for pid, v, a in agreements])
        reports = [(pid, p.quality()) for pid, p in projects.items()]
        reports = [(pid, r) for pid, r in reports if r]
        yield _gauge('lsal_label_suspects', 'Annotations whose label is probably wrong (confident learning on '
                     'out-of-sample predictions), at the last label-quality report.',
                     [({'project': pid}, r['num_suspects']) for pid, r in reports if 'num_suspects' in r])
        alphas = [(pid, r['agreement']['alpha']) for pid, r in reports if (r.get('agreement') or {}).get('alpha')
                  is not None]
        yield _gauge('lsal_annotator_alpha', "Krippendorff's alpha between annotators on the tasks several labeled.",
                     [({'project': pid}, alpha) for pid, alpha in alphas])
        rescoring = [(pid, v, s['rescore']) for pid, v, s in summaries if s.get('rescore')]
        yield _gauge('lsal_rescore_pushed_tasks', 'Predictions of the current version pushed to Label Studio.',
                     [({'project': pid, 'version': v}, r['pushed']) for pid, v, r in rescoring])
        yield _gauge('lsal_rescore_total_tasks', 'Unlabeled tasks the current version is scoring.',
                     [({'project': pid, 'version': v}, r['total']) for pid, v, r in rescoring])


def _family(kind, name, documentation, samples):
    """A metric family of ``samples``: ``[(labels dict, value)]``, every dict with the same keys."""
    labels = list(samples[0][0]) if samples else []
    family = kind(name, documentation, labels=labels)
    for sample_labels, value in samples:
        family.add_metric([str(sample_labels[label]) for label in labels], value)
    return family


def _counter(name, documentation, samples):
    return _family(CounterMetricFamily, name, documentation, samples)


def _gauge(name, documentation, samples):
    return _family(GaugeMetricFamily, name, documentation, samples)

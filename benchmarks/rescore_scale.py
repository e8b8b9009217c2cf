"""Re-scoring a large pool against a real Label Studio 1.23.2: seconds and the worker's peak memory.

    python -m benchmarks.rescore_scale --tasks 10000 [--out benchmarks/results/rescore/10000.json]

Imports ``--tasks`` Rotten Tomatoes snippets (cycled past 12,752) into a fresh Label Studio (SQLite),
connects the backend, publishes a MiniLM version fine-tuned on 20 other snippets, queues its
re-scoring as training does, and runs it in a separate worker process (an RQ ``SimpleWorker``, so
the job's memory is the process's own). Reports when Label Studio started serving the version
(``served_after_seconds``), when every task carried it, and the worker's peak RSS. One size per
run, so a session can run 10k and 100k separately; each writes its own JSON. Meanwhile an annotator
opens tasks (``--reads-per-second``): every answer but 200 counts as an annotator-facing error, with the
"database is locked" lines in Label Studio's log.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np
import redis

from benchmarks.label_studio_pool import LABEL_CONFIG, new_project, report
from benchmarks.predict_memory import memory_mib


def work(queue_name):
    """Run the queued jobs in this process, then print its peak RSS (MiB) as JSON."""
    from backend.connection import connect
    from backend.settings import Settings
    from backend.worker import SimpleWorker
    from model.device import calibrate
    calibrate(Settings.from_env().base_model, isolated=True)  # as `lsal worker` does: not in the jobs' memory
    SimpleWorker([queue_name], connection=connect(os.environ['REDIS_URL'])).work(burst=True)
    # Not getrusage's ru_maxrss: across fork and exec it keeps the parent's peak, the benchmark's own.
    print(json.dumps({'peak_rss_mib': round(memory_mib()[1], 1)}))


class AnnotatorProbe(threading.Thread):
    """An annotator opening tasks while the pool is pushed: ``GET /api/tasks/<id>`` of a random task
    ``per_second`` times a second, as Label Studio's editor does, counting each answer's status."""

    def __init__(self, url, token, task_ids, per_second):
        super().__init__(daemon=True)
        self.url, self.token, self.task_ids, self.interval = url, token, task_ids, 1 / per_second
        self.stopped = threading.Event()
        self.statuses, self.seconds = Counter(), []

    def run(self):
        rng = np.random.default_rng(0)
        with httpx.Client(base_url=self.url, headers={'Authorization': f'Token {self.token}'}, timeout=120) as client:
            while not self.stopped.wait(self.interval):
                started = time.monotonic()
                try:
                    status = client.get(f'/api/tasks/{rng.choice(self.task_ids)}').status_code
                except httpx.TransportError as error:
                    status = type(error).__name__
                self.statuses[str(status)] += 1
                self.seconds.append(time.monotonic() - started)

    def figures(self):
        """Reads, reads not answered 200, the statuses, and the median and slowest read in seconds."""
        reads = sum(self.statuses.values())
        return {'reads': reads, 'errors': reads - self.statuses['200'], 'statuses': dict(self.statuses),
                'p50_seconds': round(float(np.median(self.seconds)), 3) if self.seconds else None,
                'max_seconds': round(max(self.seconds), 3) if self.seconds else None}


def run_worker(queue_name, env):
    """Run the jobs waiting on ``queue_name`` in a worker process of its own; returns its peak RSS figures."""
    worker = subprocess.run([sys.executable, '-m', 'benchmarks.rescore_scale', '--work', queue_name],
                            env={**os.environ, **env}, check=True, capture_output=True, text=True)
    return json.loads(worker.stdout.strip().splitlines()[-1])


def run(tasks, redis_url, base_model, reads_per_second, after_cold_start):
    from backend import create_app
    from backend.label_studio import LabelStudioProject
    from backend.project_state import ProjectState
    from backend.scheduler import request_rescore
    from model.task_types import parse_label_config
    from simulation.datasets import rotten_tomatoes
    from support.label_studio_api import Api
    from support.servers import LabelStudioServer

    texts, labels = rotten_tomatoes()
    train = [{'task': -i, 'text': texts[-i], 'choices': [labels[-i]]} for i in range(1, 21)]
    pool = [texts[i % (len(texts) - 20)] for i in range(tasks)]
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    with tempfile.TemporaryDirectory() as folder:
        server = LabelStudioServer(Path(folder))
        server.start()
        try:
            api = Api(server.url, server.token)
            started = time.monotonic()
            pid = new_project(api, 'Scale', pool)
            imported = time.monotonic() - started
            env = {'REDIS_URL': redis_url, 'MODEL_DIR': str(Path(folder) / 'models'), 'BASE_MODEL': base_model,
                   'LABEL_STUDIO_URL': server.url, 'LABEL_STUDIO_API_KEY': server.token}
            app = create_app(env)
            ctx = app.extensions['lsal']
            setup = {'project': f'{pid}.1795558552', 'schema': LABEL_CONFIG, 'hostname': server.url,
                     'access_token': server.token}
            assert app.test_client().post('/setup', json=setup).status_code == 200
            if after_cold_start:  # the pool carries the cold start's scores, which the version's job deletes
                run_worker(ctx.queues['score'].name, env)
            for queue in ctx.queues.values():
                queue.empty()  # the cold start: not what is measured
            previous = LabelStudioProject(server.url, server.token, pid).model_versions()
            state = ProjectState(client, str(pid))
            predictor = parse_label_config(LABEL_CONFIG).fine_tune(base_model, train, ctx.training_config(
                parse_label_config(LABEL_CONFIG)), ctx.runtime)
            ctx.store.save(state.id, 'v1', predictor, {})
            state.publish('v1', {'created_at': time.time(), 'metrics': {'evaluated': False}})
            task_ids = [task['id'] for page, _ in LabelStudioProject(server.url, server.token, pid).unlabeled_pages()
                        for task in page]
            annotator = AnnotatorProbe(server.url, server.token, task_ids, reads_per_second)
            annotator.start()
            published = time.monotonic()
            request_rescore(ctx, state, 'v1')
            memory = run_worker(ctx.queues['score'].name, env)
            carried = time.monotonic() - published
            annotator.stopped.set()
            annotator.join()
            locked = (Path(folder) / 'label-studio.log').read_text(errors='replace').count('database is locked')
            failed_jobs = ctx.queues['score'].failed_job_registry.count
            summary = state.versions()['v1']
            counts = LabelStudioProject(server.url, server.token, pid).model_versions()
            serving = api.project(pid)['model_version']
        finally:
            server.stop()
            client.flushdb()
    strategy = ctx.strategy(parse_label_config(LABEL_CONFIG), {})
    return {'tasks': tasks, 'import_seconds': round(imported, 1), 'strategy': strategy,
            'runtime': ctx.runtime.describe(), 'torch_threads': __import__('torch').get_num_threads(),
            'published_to_all_carried_seconds': round(carried, 1), 'rescore': summary.get('rescore'),
            'deleted_predictions': summary.get('deleted_predictions'),
            'predictions_before': previous, 'predictions_after': counts,
            'predictions_of_v1': counts.get('v1'), 'label_studio_serves': serving, 'failed_jobs': failed_jobs,
            'push_settings': {name: os.environ[name] for name in ('PUSH_CHUNK', 'PUSH_PAUSE') if name in os.environ},
            'annotator': annotator.figures(), 'database_locked_log_lines': locked, **memory}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--tasks', type=int, default=10_000)
    parser.add_argument('--reads-per-second', type=float, default=4.0,
                        help='how often the simulated annotator opens a task during the re-score')
    parser.add_argument('--after-cold-start', action='store_true',
                        help="let the cold start score the pool first, so that the version's job also deletes "
                             'those predictions, as in a real project')
    parser.add_argument('--redis', default='redis://127.0.0.1:6379/12')
    parser.add_argument('--out', default=None, help='write the figures as JSON here too')
    parser.add_argument('--work', metavar='QUEUE', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.work:
        return work(args.work)
    from model.transformer import default_text_model
    report(run(args.tasks, args.redis, default_text_model(), args.reads_per_second,
                   args.after_cold_start), args.out)


if __name__ == '__main__':
    main()

"""From an annotation to Label Studio serving the new version's choice, in a real Label Studio 1.23.2.

    python -m benchmarks.loop_latency [--task-type text|detection] [--tasks 500] [--rounds 2]
        [--labeled 90,190] [--deployment serve|start] [--out FILE] [--screenshot PNG]

Imports ``--tasks`` tasks into a fresh Label Studio (SQLite): Rotten Tomatoes snippets (``text``), or
``mnist_boxes`` scenes of 128 px served over HTTP from loopback (``detection``, ``IMAGE_SIZE=128``),
starts the backend as documented (``serve``: ``lsal serve`` plus an ``lsal worker``; ``start``: ``lsal
start``), with the defaults otherwise (``TRAIN_EVERY=10``, the task type's strategy), and connects it
as the project's model. Each round labels the tasks ``/next`` serves (with their true labels or
boxes), as an annotator would, until a training is due, then times from that annotation until the
backend reports that Label Studio serves the new version (its lowest-scored tasks pushed,
``model_version`` switched) and until every unlabeled task carries it. The backend's ``/versions`` is
polled every 0.2 s (Label Studio itself is left alone while timing). After each round ``/next`` is
checked against Label Studio's order (the least-labeled prediction ``cluster``, then the lowest
score). ``--labeled`` first brings the labeled count to each given number before the rounds that
follow it (one round each, untimed labels, the backend left to settle), so that a round trains on
about that many plus ten. ``--screenshot``
saves the project's status page after the last round, as a headless Chromium shows it (the README's).
"""
import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
import requests

from benchmarks.label_studio_pool import LABEL_CONFIG, new_project, report
from benchmarks.predict_throughput import DEPLOYMENTS, SCENE_SIZE
from simulation.cli import DATASET_CACHE
from simulation.datasets import rotten_tomatoes
from simulation.detection_datasets import mnist_boxes
from support import payloads
from support.browser import headless_chromium
from support.label_studio_api import Api, next_in_label_studio_order
from support.servers import LabelStudioServer, free_port, static_files, stop, wait_until_up

POLL_SECONDS = 0.2
TIMEOUT = 900
TRAIN_EVERY = 10
"""The default ``TRAIN_EVERY``, which the benchmark keeps."""
SETTLE_SECONDS = 5


def wait(condition, what):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f'{what}: not within {TIMEOUT}s')


def settle(status, labeled):
    """The backend's project status once it holds ``labeled`` annotations and is idle: no training due or
    running (the last version trained on every annotation but the pending ones), the current version's
    scores all in Label Studio, and no new version for :data:`SETTLE_SECONDS`."""
    def idle():
        state = status()
        current = state['details'].get(state['current'])  # None: the cold start's scores, awaited before
        last = state['details'][state['versions'][-1]] if state['versions'] else {'num_labeled': 0}
        return (state['labeled_annotations'] >= labeled and state['pending_annotations'] < TRAIN_EVERY
                and last['num_labeled'] + state['pending_annotations'] >= state['labeled_annotations']
                and (current is None or current.get('rescore', {}).get('done')) and state)

    while True:
        state = wait(idle, f'the backend settling at {labeled} labels')
        time.sleep(SETTLE_SECONDS)
        if (again := idle()) and again['versions'] == state['versions']:
            return again


def current_scores(api, pid, version):
    """``{task id: score}`` of the unlabeled tasks' predictions of ``version`` (those pushed so far: unlike
    :func:`support.label_studio_api.current_scores`, a task may have none yet)."""
    return {task['id']: p['score'] for task in api.tasks(pid) if not task['annotations']
            for p in task['predictions'] if p['model_version'] == version}


@contextlib.contextmanager
def text_workload(count):
    """``(config, field, values, result_of, env)``: Rotten Tomatoes snippets and their sentiment."""
    texts, labels = rotten_tomatoes()
    truth = dict(list(zip(texts, labels))[:count])
    yield LABEL_CONFIG, 'text', list(truth), lambda text: [{
        'from_name': 'sentiment', 'to_name': 'text', 'type': 'choices', 'value': {'choices': [truth[text]]}}], {}


@contextlib.contextmanager
def detection_workload(count):
    """``mnist_boxes`` scenes served from loopback, and their boxes as ``rectanglelabels`` regions."""
    paths, boxes = mnist_boxes(DATASET_CACHE, num_images=count)
    with static_files(Path(paths[0]).parent) as url:
        truth = {url(path): found for path, found in zip(paths, boxes)}
        yield payloads.BOX_CONFIG, 'snapshot', list(truth), lambda value: [
            payloads.box_region(*box[:4], payloads.BOX_LABELS[box[4]]) for box in truth[value]], {
            'IMAGE_SIZE': str(SCENE_SIZE)}


WORKLOADS = {'text': text_workload, 'detection': detection_workload}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--task-type', choices=sorted(WORKLOADS), default='text')
    parser.add_argument('--tasks', type=int, default=500)
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--labeled', default='', help='labeled counts to reach first, comma-separated (one '
                                                      'round after each)')
    parser.add_argument('--deployment', choices=['serve', 'start'], default='serve')
    parser.add_argument('--redis', default='redis://127.0.0.1:6379/12')
    parser.add_argument('--out', default=None)
    parser.add_argument('--screenshot', default=None, help="save the project's status page here (PNG)")
    args = parser.parse_args(argv)
    targets = [int(n) for n in args.labeled.split(',') if n] or [0] * args.rounds
    rounds = []
    with tempfile.TemporaryDirectory() as folder, WORKLOADS[args.task_type](args.tasks) as workload:
        config, field, values, result_of, settings = workload
        server = LabelStudioServer(Path(folder))
        server.start()
        port = free_port()
        env = {**os.environ, 'REDIS_URL': args.redis, 'MODEL_DIR': str(Path(folder) / 'models'),
               'LABEL_STUDIO_URL': server.url, 'LABEL_STUDIO_API_KEY': server.token, 'HF_HUB_OFFLINE': '1',
               'PORT': str(port), 'HOST': '127.0.0.1', **settings}
        redis.Redis.from_url(args.redis).flushdb()
        log = Path(folder) / 'lsal.log'
        with open(log, 'w') as handle:
            processes = [subprocess.Popen([sys.executable, '-m', 'backend.cli', *command], env={**env, **extra},
                                          stdout=handle, stderr=subprocess.STDOUT)
                         for command, extra in DEPLOYMENTS[args.deployment]]
        url = f'http://127.0.0.1:{port}'
        try:
            wait_until_up(f'{url}/health', processes[0], 120, log)
            api = Api(server.url, server.token)
            pid = new_project(api, 'Loop', values, config, field)
            api.call('POST', '/api/ml', json={'url': url, 'project': pid, 'title': 'lsal', 'is_interactive': False})
            started = time.monotonic()
            wait(lambda: api.project(pid)['model_version'] == 'cold-start', 'the cold start')
            cold_start = time.monotonic() - started

            def status():
                return requests.get(f'{url}/versions?project={pid}', timeout=10).json()['projects'][str(pid)]

            def annotate():
                task = api.call('GET', f'/api/projects/{pid}/next')
                api.call('POST', f'/api/tasks/{task["id"]}/annotations',
                         json={'result': result_of(task['data'][field])})

            for number, target in enumerate(targets, 1):
                while status()['labeled_annotations'] < target:
                    annotate()
                before = settle(status, target)
                for _ in range(TRAIN_EVERY - before['pending_annotations']):  # the last one makes a training due
                    annotate()
                labeled = time.monotonic()

                def latest(key):
                    state = status()
                    newer = [version for version in state['versions'] if version not in before['versions']]
                    details = newer and state['details'][newer[-1]]
                    return details and (details['status'] == 'rejected' or details.get('rescore', {}).get(key)
                                        is not None) and details

                summary = wait(lambda: latest('served_after_seconds'), 'Label Studio serving the new version')
                served = time.monotonic() - labeled
                if summary['status'] != 'rejected':
                    summary = wait(lambda: latest('done'), 'every task carrying the new version')
                carried = time.monotonic() - labeled
                version = summary['version']
                scores = current_scores(api, pid, version)
                serving = api.project(pid)['model_version']
                following = api.call('GET', f'/api/projects/{pid}/next')
                rounds.append({'round': number, 'version': version, 'status': summary['status'],
                               'num_train': summary['num_train'], 'num_labeled': summary['num_labeled'],
                               'served_after_due_annotation_s': round(served, 1),
                               'all_carried_after_due_annotation_s': round(carried, 1),
                               'train_seconds': summary['train_seconds'], 'rescore': summary.get('rescore'),
                               'next_in_label_studio_order':
                                   following['id'] == next_in_label_studio_order(api, pid, serving),
                               'scored_tasks': len(scores)})
                print(json.dumps(rounds[-1]), flush=True)
            if args.screenshot:
                with headless_chromium(height=1500) as browser:
                    browser.get(f'{url}/status/{pid}')
                    browser.save_screenshot(args.screenshot)
        finally:
            for process in processes:
                stop(process)
            server.stop()
    report({'task_type': args.task_type, 'tasks': args.tasks, 'deployment': args.deployment,
            'cold_start_seconds': round(cold_start, 1), 'rounds': rounds}, args.out)


if __name__ == '__main__':
    main()

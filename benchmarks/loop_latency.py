"""From an annotation to Label Studio serving the new version's choice, in a real Label Studio 1.23.2.

    python -m benchmarks.loop_latency [--tasks 500] [--rounds 2] [--out FILE]

Imports ``--tasks`` Rotten Tomatoes snippets into a fresh Label Studio (SQLite), runs ``lsal start``
(web + worker, the defaults: ``TRAIN_EVERY=10``, ``STRATEGY=bald``, ``INFERENCE_BF16=auto``) and
connects it as the project's model. Each round labels the ten tasks ``/next`` serves (with their true
labels), as an annotator would, then times from the tenth annotation until the backend reports that
Label Studio serves the new version (its lowest-scored tasks pushed, ``model_version`` switched) and
until every unlabeled task carries it. The backend's ``/versions`` is polled every 0.2 s (Label
Studio itself is left alone while timing). After each round ``/next`` is checked to be the unlabeled
task with the version's lowest score.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
import requests

from benchmarks.label_studio_pool import new_project, report
from simulation.datasets import rotten_tomatoes
from support.label_studio_api import Api
from support.servers import LabelStudioServer, free_port, stop, wait_until_up

POLL_SECONDS = 0.2
TIMEOUT = 900


def wait(condition, what):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f'{what}: not within {TIMEOUT}s')


def current_scores(api, pid, version):
    """``{task id: score}`` of the unlabeled tasks' predictions of ``version``."""
    scores, page = {}, 1
    while True:
        response = api.session.get(f'{api.url}/api/tasks', params={'project': pid, 'fields': 'all',
                                                                   'page': page, 'page_size': 1000}, timeout=300)
        if response.status_code == 404:  # past the last page
            return scores
        tasks = response.json()['tasks']
        for task in tasks:
            if not task['annotations']:
                scores.update({task['id']: p['score'] for p in task['predictions'] if p['model_version'] == version})
        if len(tasks) < 1000:
            return scores
        page += 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--tasks', type=int, default=500)
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--redis', default='redis://127.0.0.1:6379/12')
    parser.add_argument('--out', default=None)
    args = parser.parse_args(argv)
    texts, labels = rotten_tomatoes()
    pool = list(zip(texts, labels))[:args.tasks]
    truth = dict(pool)
    rounds = []
    with tempfile.TemporaryDirectory() as folder:
        server = LabelStudioServer(Path(folder))
        server.start()
        port = free_port()
        env = {**os.environ, 'REDIS_URL': args.redis, 'MODEL_DIR': str(Path(folder) / 'models'),
               'LABEL_STUDIO_URL': server.url, 'LABEL_STUDIO_API_KEY': server.token, 'HF_HUB_OFFLINE': '1',
               'PORT': str(port), 'HOST': '127.0.0.1'}
        redis.Redis.from_url(args.redis).flushdb()
        log = Path(folder) / 'lsal.log'
        backend = subprocess.Popen([sys.executable, '-m', 'backend.cli', 'start'], env=env,
                                   stdout=open(log, 'w'), stderr=subprocess.STDOUT)
        url = f'http://127.0.0.1:{port}'
        try:
            wait_until_up(f'{url}/health', backend, 120, log)
            api = Api(server.url, server.token)
            pid = new_project(api, 'Loop', [text for text, _ in pool])
            api.call('POST', '/api/ml', json={'url': url, 'project': pid, 'title': 'lsal', 'is_interactive': False})
            started = time.monotonic()
            wait(lambda: api.project(pid)['model_version'] == 'cold-start', 'the cold start')
            cold_start = time.monotonic() - started

            def details(n):
                body = requests.get(f'{url}/versions?project={pid}', timeout=10).json()
                versions = body['versions']
                return body['projects'][str(pid)]['details'][versions[n - 1]] if len(versions) >= n else None

            for number in range(1, args.rounds + 1):
                for _ in range(10):
                    task = api.call('GET', f'/api/projects/{pid}/next')
                    api.call('POST', f'/api/tasks/{task["id"]}/annotations', json={'result': [{
                        'from_name': 'sentiment', 'to_name': 'text', 'type': 'choices',
                        'value': {'choices': [truth[task['data']['text']]]}}]})
                labeled = time.monotonic()
                summary = wait(lambda: (d := details(number)) and d.get('rescore', {}).get('served_after_seconds')
                               is not None and d, 'Label Studio serving the new version')
                served = time.monotonic() - labeled
                summary = wait(lambda: (d := details(number)) and d.get('rescore', {}).get('done') and d,
                               'every task carrying the new version')
                carried = time.monotonic() - labeled
                version = summary['version']
                scores = current_scores(api, pid, version)
                following = api.call('GET', f'/api/projects/{pid}/next')
                rounds.append({'round': number, 'version': version, 'served_after_10th_annotation_s': round(served, 1),
                               'all_carried_after_10th_annotation_s': round(carried, 1),
                               'train_seconds': summary['train_seconds'], 'rescore': summary['rescore'],
                               'next_is_lowest': scores.get(following['id']) == min(scores.values()),
                               'scored_tasks': len(scores)})
                print(json.dumps(rounds[-1]), flush=True)
        finally:
            stop(backend)
            server.stop()
    report({'tasks': args.tasks, 'cold_start_seconds': round(cold_start, 1), 'rounds': rounds}, args.out)


if __name__ == '__main__':
    main()

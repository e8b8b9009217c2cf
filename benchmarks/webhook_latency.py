"""Webhook latency against Label Studio's 1 s timeout, with /health as the same-run baseline.

    python -m benchmarks.webhook_latency [--requests 300] [--redis redis://127.0.0.1:6379/12]

Serves the real app on loopback (threaded werkzeug), sends ANNOTATION_CREATED webhooks (each
records an annotation and, every TRAIN_EVERY, queues a training job) and GET /health, and prints
p50/p99 of each and their ratio. The database is flushed before and after.
"""
import argparse
import logging
import statistics
import tempfile
import threading
import time

import redis
import requests
from werkzeug.serving import make_server

from backend import create_app
from support import payloads


def measure(session, method, url, bodies):
    timings = []
    for body in bodies:
        started = time.perf_counter()
        response = session.request(method, url, json=body, timeout=5)
        timings.append(time.perf_counter() - started)
        response.raise_for_status()
    return timings


def percentile(values, q):
    return statistics.quantiles(values, n=100)[q - 1] * 1000


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--requests', type=int, default=300)
    parser.add_argument('--redis', default='redis://127.0.0.1:6379/12')
    args = parser.parse_args(argv)
    logging.getLogger('werkzeug').setLevel(logging.WARNING)
    client = redis.Redis.from_url(args.redis)
    client.flushdb()
    with tempfile.TemporaryDirectory() as models:
        app = create_app({'REDIS_URL': args.redis, 'MODEL_DIR': models, 'TRAIN_EVERY': '10'})
        server = make_server('127.0.0.1', 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f'http://127.0.0.1:{server.server_port}'
        session = requests.Session()
        try:
            session.post(f'{url}/setup', json=payloads.setup()).raise_for_status()
            hooks = [payloads.annotation_created(i, i, f'text number {i}', 'tech') for i in range(1, args.requests + 1)]
            health = measure(session, 'GET', f'{url}/health', [None] * args.requests)
            webhook = measure(session, 'POST', f'{url}/webhook', hooks)
        finally:
            server.shutdown()
            client.flushdb()
    print(f'{args.requests} requests each, loopback, one client')
    print(f'/health  p50 {percentile(health, 50):6.2f} ms  p99 {percentile(health, 99):6.2f} ms')
    print(f'/webhook p50 {percentile(webhook, 50):6.2f} ms  p99 {percentile(webhook, 99):6.2f} ms')
    print(f'ratio webhook/health p50 {percentile(webhook, 50) / percentile(health, 50):.2f}; '
          f'webhook p99 is {percentile(webhook, 99) / 10:.2f} % of Label Studio\'s 1 s timeout')


if __name__ == '__main__':
    main()

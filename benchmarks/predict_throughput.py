"""/predict over HTTP against the fastest raw forward of the same model, in one run.

    python -m benchmarks.predict_throughput [--task-type classes|spans] [--deployment serve|start|one-process]

Fine-tunes a version (classes: BBC News topics, first paragraphs; spans: WNUT-16 tweets), publishes
it, starts the backend as documented (``serve``: ``lsal serve`` with its default workers plus an ``lsal
worker``; ``start``: ``lsal start``; ``one-process``: ``lsal serve`` with ``WEB_WORKERS=1`` alone), with
no stored bfloat16 decision so that it calibrates as on a fresh start, and sends the other texts to
/predict in one request, as Label Studio's "Retrieve predictions" does,
with ``STRATEGY`` (default bald). The baseline is the same texts through the tokenizer, the encoder
and the head in this process, batched and length-sorted like the backend, with nothing else (no
windows, no span decoding, no scores, no JSON), in fp32 and under bfloat16 autocast: the faster of the
two is the baseline. Then one text at a time: the median of ``--singles`` one-task requests against the
median raw forward of one text. Same machine, same number of threads; runs interleaved so that a busy
moment hits both. The database is flushed before and after.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
import requests
import torch

from backend import keys
from backend.calibration import stored_calibrations
from backend.context import Context
from backend.project_state import ProjectState
from backend.settings import Settings
from model.device import Runtime
from model.task_types import parse_label_config
from model.transformer import INFERENCE_BATCH_SIZE, default_text_model
from simulation.datasets import bbc_news, wnut16
from support import payloads
from support.servers import free_port, stop, wait_until_up


def classes_data():
    """``(config, examples, texts, task, body)``: BBC News first paragraphs, shuffled by a fixed seed."""
    texts, labels = bbc_news()
    order = torch.randperm(len(texts), generator=torch.Generator().manual_seed(0)).tolist()
    texts, labels = [texts[i].split('\n\n')[0] for i in order], [labels[i] for i in order]
    examples = [{'task': i, 'text': texts[i], 'choices': [labels[i]]} for i in range(len(texts))]
    return payloads.LABEL_CONFIG, examples, texts, payloads.task, payloads.predict


def spans_data():
    texts, spans, _ = wnut16()
    examples = [{'task': i, 'text': texts[i], 'spans': [[s, e, payloads.SPAN_LABELS[label]] for s, e, label
                                                           in spans[i] if label in payloads.SPAN_LABELS]}
                for i in range(len(texts))]
    return payloads.SPAN_CONFIG, examples, texts, payloads.span_task, payloads.span_predict


DATA = {'classes': classes_data, 'spans': spans_data}

DEPLOYMENTS = {
    'serve': [(['serve', '--host', '127.0.0.1'], {}), (['worker'], {})],
    'start': [(['start', '--host', '127.0.0.1'], {})],
    'one-process': [(['serve', '--host', '127.0.0.1'], {'WEB_WORKERS': '1'})],
}
"""``lsal`` commands (and settings) of each deployment; the first one serves HTTP."""


def raw_forward(predictor, texts, bf16, batch_size=INFERENCE_BATCH_SIZE):
    """The head's softmax over the encoder's output for ``texts`` in length-sorted batches: the least
    work the model can do."""
    ordered = sorted(texts, key=len)
    with torch.inference_mode(), Runtime(predictor.runtime.device, bf16).autocast():
        for start in range(0, len(ordered), batch_size):
            batch = predictor.tokenizer(ordered[start:start + batch_size], padding=True, truncation=True,
                                        max_length=predictor.card.max_length, return_tensors='pt')
            torch.softmax(predictor.classifier(batch['input_ids'], batch['attention_mask']), dim=-1).float().numpy()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--task-type', choices=sorted(DATA), default='classes')
    parser.add_argument('--deployment', choices=sorted(DEPLOYMENTS), default='serve')
    parser.add_argument('--texts', type=int, default=1000)
    parser.add_argument('--train', type=int, default=100)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--singles', type=int, default=50)
    parser.add_argument('--redis', default='redis://127.0.0.1:6379/12')
    args = parser.parse_args(argv)
    config, examples, texts, make_task, request_body = DATA[args.task_type]()
    task_type = parse_label_config(config)
    pool = texts[args.train:args.train + args.texts]
    client = redis.Redis.from_url(args.redis)
    client.flushdb()
    with tempfile.TemporaryDirectory() as models:
        env = {**os.environ, 'REDIS_URL': args.redis, 'MODEL_DIR': models, 'MAX_LENGTH': '64'}
        ctx = Context.create(Settings.from_env(env), client)
        predictor = task_type.fine_tune(default_text_model(), examples[:args.train], ctx.training_config(task_type),
                                        ctx.runtime)
        project_id = request_body([])['project'].split('.')[0]  # the project the requests name
        ctx.store.save(project_id, 'v1', predictor, {})
        project = ProjectState(client, project_id)
        project.save_label_config(config)
        project.publish('v1', {'created_at': time.time()})
        for key in client.scan_iter(keys.CALIBRATIONS):  # the deployment decides as on a fresh start
            client.delete(key)
        port = free_port()
        url = f'http://127.0.0.1:{port}'
        log = Path(models) / 'serve.log'
        with open(log, 'w') as handle:
            servers = [subprocess.Popen([sys.executable, '-m', 'backend.cli', *command], stdout=handle,
                                        stderr=subprocess.STDOUT, env={**env, 'PORT': str(port), **settings})
                       for command, settings in DEPLOYMENTS[args.deployment]]
        server = servers[0]
        tasks = [make_task(i, text) for i, text in enumerate(pool)]
        try:
            wait_until_up(f'{url}/health', server, 120, log)
            warm = requests.post(f'{url}/predict', json=request_body(tasks[:8]), timeout=600)  # loads the version
            warm.raise_for_status()
            assert warm.json()['model_version'] == 'v1', warm.json()
            raw = {False: [], True: []}
            http = []
            for _ in range(args.repeats):
                for bf16 in raw:
                    started = time.perf_counter()
                    raw_forward(predictor, pool, bf16)
                    raw[bf16].append(time.perf_counter() - started)
                started = time.perf_counter()
                response = requests.post(f'{url}/predict', json=request_body(tasks), timeout=600)
                http.append(time.perf_counter() - started)
                response.raise_for_status()
            fastest = min(raw, key=lambda bf16: min(raw[bf16]))
            single_raw, single_http = [], []
            for i in range(args.singles):
                started = time.perf_counter()
                raw_forward(predictor, [pool[i]], fastest)
                single_raw.append(time.perf_counter() - started)
                started = time.perf_counter()
                requests.post(f'{url}/predict', json=request_body([tasks[i]]), timeout=60).raise_for_status()
                single_http.append(time.perf_counter() - started)
            decisions = stored_calibrations(client)
        finally:
            for process in servers:
                stop(process)
            client.flushdb()
    print(f'{len(pool)} {args.task_type} texts, {torch.get_num_threads()} torch threads, strategy '
          f'{ctx.strategy(task_type, {})}, deployment {args.deployment}; this process: {ctx.runtime.describe()}')
    for decision in decisions:
        inference = decision['calibration']['inference']
        print(f'the deployment\'s decision on {decision["machine"]}: {"bf16" if inference["bf16"] else "fp32"} '
              f'inference ({inference["reason"]}; fp32 {inference["fp32_seconds"]:.3f} s, '
              f'bf16 {inference["bf16_seconds"]:.3f} s)')
    for bf16, seconds in raw.items():
        print(f'raw forward {"bf16" if bf16 else "fp32"}  {len(pool) / min(seconds):7.1f} texts/s '
              f'(best of {args.repeats})')
    print(f'/predict (HTTP)    {len(pool) / min(http):7.1f} texts/s (best of {args.repeats})')
    print(f'ratio /predict / fastest raw forward: {min(raw[fastest]) / min(http):.2f}')
    raw_p50, http_p50 = statistics.median(single_raw), statistics.median(single_http)
    print(f'one text: raw forward p50 {1000 * raw_p50:.1f} ms, /predict p50 {1000 * http_p50:.1f} ms '
          f'(+{1000 * (http_p50 - raw_p50):.1f} ms; median of {args.singles})')


if __name__ == '__main__':
    main()

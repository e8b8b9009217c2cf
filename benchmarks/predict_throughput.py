"""/predict over HTTP against the fastest raw forward of the same model, in one run.

    python -m benchmarks.predict_throughput [--task-type classes|spans|detection]
        [--deployment serve|start|one-process]

Fine-tunes a version (classes: BBC News topics, first paragraphs; spans: WNUT-16 tweets; detection:
``mnist_boxes`` scenes, served as PNG files over HTTP from loopback), publishes it, starts the backend as
documented (``serve``: ``lsal serve`` with its default workers plus an ``lsal worker``; ``start``: ``lsal
start``; ``one-process``: ``lsal serve`` with ``WEB_WORKERS=1`` alone), with no stored bfloat16 decision
so that it calibrates as on a fresh start, and sends the other tasks to /predict in one request, as
Label Studio's "Retrieve predictions" does, with the project's strategy (``STRATEGY``, else the task
type's default). The baseline is the network alone in this process, batched like the backend: for
text, the tokenizer, the encoder and the head over length-sorted texts (no windows, no span decoding,
no scores, no JSON), in fp32 and under bfloat16 autocast, the faster of the two; for detection, the
encoder and the box head over the images already read (no fetching, no decoding, no NMS, no scores),
in fp32 as the detector runs. Then one task at a time: the median of ``--singles`` one-task requests
against the median raw forward of one input. Same machine, same number of threads; runs interleaved
so that a busy moment hits both. The database is flushed before and after.
"""
import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import redis
import requests
import torch

from backend import keys
from backend.calibration import stored_calibrations
from backend.context import Context
from backend.project_state import ProjectState
from backend.settings import Settings
from model.detection.predictor import IMAGES_PER_BATCH
from model.device import Runtime
from model.images import pixel_tensor
from model.task_type import Reader
from model.task_types import parse_label_config
from model.transformer import INFERENCE_BATCH_SIZE
from simulation.cli import DATASET_CACHE
from simulation.datasets import bbc_news, wnut16
from simulation.detection_datasets import mnist_boxes
from support import payloads
from support.servers import free_port, static_files, stop, wait_until_up


@dataclass(frozen=True)
class Workload:
    """One task type's run: ``examples`` train the version, ``pool`` is what the raw forward reads and
    ``tasks`` the same pool as Label Studio sends it (``body(tasks)`` is a /predict request)."""

    config: str
    examples: list
    pool: list
    tasks: list
    body: object
    raw_forward: object
    precisions: tuple = (False, True)
    unit: str = 'texts'
    env: tuple = ()


def text_forward(predictor, texts, bf16, batch_size=INFERENCE_BATCH_SIZE):
    """The head's softmax over the encoder's output for ``texts`` in length-sorted batches: the least
    work the model can do."""
    ordered = sorted(texts, key=len)
    with torch.inference_mode(), Runtime(predictor.runtime.device, bf16).autocast():
        for start in range(0, len(ordered), batch_size):
            batch = predictor.tokenizer(ordered[start:start + batch_size], padding=True, truncation=True,
                                        max_length=predictor.card.max_length, return_tensors='pt')
            torch.softmax(predictor.classifier(batch['input_ids'], batch['attention_mask']), dim=-1).float().numpy()


def detection_forward(predictor, images, bf16, batch_size=IMAGES_PER_BATCH):
    """The detector's maps over images already read, in the backend's batches (fp32: ``bf16`` is False)."""
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            logits, size, offset, _ = predictor.classifier.forward_and_embed(
                pixel_tensor(images[start:start + batch_size], predictor.card.image_size))
            torch.sigmoid(logits).numpy()


SCENE_SIZE = 128
"""The side of ``mnist_boxes`` scenes, read at their own size (``IMAGE_SIZE``), as in the learning curves."""


def classes_data(train, count, files):
    """BBC News first paragraphs, shuffled by a fixed seed."""
    texts, labels = bbc_news()
    order = torch.randperm(len(texts), generator=torch.Generator().manual_seed(0)).tolist()
    texts, labels = [texts[i].split('\n\n')[0] for i in order], [labels[i] for i in order]
    examples = [{'task': i, 'text': texts[i], 'choices': [labels[i]]} for i in range(train)]
    pool = texts[train:train + count]
    return Workload(payloads.LABEL_CONFIG, examples, pool, [payloads.task(i, text) for i, text in enumerate(pool)],
                    payloads.predict, text_forward)


def spans_data(train, count, files):
    texts, spans, _ = wnut16()
    examples = [{'task': i, 'text': texts[i], 'spans': [[s, e, payloads.SPAN_LABELS[label]] for s, e, label
                                                           in spans[i] if label in payloads.SPAN_LABELS]}
                for i in range(train)]
    pool = texts[train:train + count]
    return Workload(payloads.SPAN_CONFIG, examples, pool,
                    [payloads.span_task(i, text) for i, text in enumerate(pool)], payloads.span_predict,
                    text_forward)


def detection_data(train, count, files):
    """``mnist_boxes`` scenes (128 px), the pool's served by ``files`` (a :func:`static_files` context)."""
    paths, boxes = mnist_boxes(DATASET_CACHE, num_images=train + count)
    task_type = parse_label_config(payloads.BOX_CONFIG)
    examples = [{'task': i, 'image': paths[i], 'boxes': [[*box[:4], payloads.BOX_LABELS[box[4]]] for box in boxes[i]]}
                for i in range(train)]
    reader = Reader(image_size=SCENE_SIZE)
    examples, _ = task_type.loaded(examples, reader)
    pool, _ = task_type.loaded([{'task': i, 'image': path} for i, path in enumerate(paths[train:])], reader)
    url = files(Path(paths[0]).parent)
    return Workload(payloads.BOX_CONFIG, examples, [task_type.model_input(example) for example in pool],
                    [payloads.box_task(example['task'], url(example['image'])) for example in pool],
                    payloads.box_predict, detection_forward, precisions=(False,), unit='images',
                    env=(('IMAGE_SIZE', str(SCENE_SIZE)),))


DATA = {'classes': classes_data, 'spans': spans_data, 'detection': detection_data}

DEPLOYMENTS = {
    'serve': [(['serve', '--host', '127.0.0.1'], {}), (['worker'], {})],
    'start': [(['start', '--host', '127.0.0.1'], {})],
    'one-process': [(['serve', '--host', '127.0.0.1'], {'WEB_WORKERS': '1'})],
}
"""``lsal`` commands (and settings) of each deployment; the first one serves HTTP."""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--task-type', choices=sorted(DATA), default='classes')
    parser.add_argument('--deployment', choices=sorted(DEPLOYMENTS), default='serve')
    parser.add_argument('--pool', type=int, default=1000, help='texts or images sent in one /predict')
    parser.add_argument('--train', type=int, default=100)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--singles', type=int, default=50)
    parser.add_argument('--redis', default='redis://127.0.0.1:6379/12')
    args = parser.parse_args(argv)
    client = redis.Redis.from_url(args.redis)
    client.flushdb()
    with tempfile.TemporaryDirectory() as models, contextlib.ExitStack() as stack:
        work = DATA[args.task_type](args.train, args.pool, lambda root: stack.enter_context(static_files(root)))
        task_type = parse_label_config(work.config)
        env = {**os.environ, 'REDIS_URL': args.redis, 'MODEL_DIR': models, 'MAX_LENGTH': '64', **dict(work.env)}
        ctx = Context.create(Settings.from_env(env), client)
        predictor = task_type.fine_tune(ctx.base_model(task_type), work.examples, ctx.training_config(task_type),
                                        ctx.runtime)
        project_id = work.body([])['project'].split('.')[0]  # the project the requests name
        ctx.store.save(project_id, 'v1', predictor, {})
        project = ProjectState(client, project_id)
        project.save_label_config(work.config)
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
        try:
            wait_until_up(f'{url}/health', server, 120, log)
            warm = requests.post(f'{url}/predict', json=work.body(work.tasks[:8]), timeout=600)  # loads the version
            warm.raise_for_status()
            assert warm.json()['model_version'] == 'v1', warm.json()
            raw = {bf16: [] for bf16 in work.precisions}
            http = []
            for _ in range(args.repeats):
                for bf16 in raw:
                    started = time.perf_counter()
                    work.raw_forward(predictor, work.pool, bf16)
                    raw[bf16].append(time.perf_counter() - started)
                started = time.perf_counter()
                response = requests.post(f'{url}/predict', json=work.body(work.tasks), timeout=600)
                http.append(time.perf_counter() - started)
                response.raise_for_status()
                answer = response.json()
                assert answer['model_version'] == 'v1' and len(answer['results']) == len(work.tasks), answer
            fastest = min(raw, key=lambda bf16: min(raw[bf16]))
            single_raw, single_http = [], []
            for i in range(args.singles):
                started = time.perf_counter()
                work.raw_forward(predictor, work.pool[i:i + 1], fastest)
                single_raw.append(time.perf_counter() - started)
                started = time.perf_counter()
                requests.post(f'{url}/predict', json=work.body([work.tasks[i]]), timeout=60).raise_for_status()
                single_http.append(time.perf_counter() - started)
            decisions = stored_calibrations(client)
        finally:
            for process in servers:
                stop(process)
            client.flushdb()
    count, unit = len(work.pool), work.unit
    print(f'{count} {args.task_type} {unit}, {torch.get_num_threads()} torch threads, strategy '
          f'{ctx.strategy(task_type, {})}, deployment {args.deployment}; this process: {ctx.runtime.describe()}')
    for decision in decisions:
        inference = decision['calibration']['inference']
        print(f'the deployment\'s decision on {decision["machine"]}: {"bf16" if inference["bf16"] else "fp32"} '
              f'inference ({inference["reason"]}; fp32 {inference["fp32_seconds"]:.3f} s, '
              f'bf16 {inference["bf16_seconds"]:.3f} s)')
    for bf16, seconds in raw.items():
        print(f'raw forward {"bf16" if bf16 else "fp32"}  {count / min(seconds):7.1f} {unit}/s '
              f'(best of {args.repeats})')
    print(f'/predict (HTTP)    {count / min(http):7.1f} {unit}/s (best of {args.repeats})')
    print(f'ratio /predict / fastest raw forward: {min(raw[fastest]) / min(http):.2f}')
    raw_p50, http_p50 = statistics.median(single_raw), statistics.median(single_http)
    print(f'one task: raw forward p50 {1000 * raw_p50:.1f} ms, /predict p50 {1000 * http_p50:.1f} ms '
          f'(+{1000 * (http_p50 - raw_p50):.1f} ms; median of {args.singles})')


if __name__ == '__main__':
    main()

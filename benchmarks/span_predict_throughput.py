"""Span labeling: /predict throughput over HTTP against the raw token-classification forward, in one run.

    python -m benchmarks.span_predict_throughput [--texts 1000] [--train 100] [--repeats 3]

Fine-tunes a span version on WNUT-16 tweets (MiniLM, the span recipe), publishes it, serves the
real app on loopback (threaded werkzeug) and sends the other tweets to /predict in one request, as
Label Studio's "Retrieve predictions" does; with ``STRATEGY`` (default bald). The baseline is the
same tweets through the tokenizer, the encoder and the tag head, batched and length-sorted like the
backend, with nothing else: no windows, no span decoding, no scores, no JSON. Same process, same
threads. The database is flushed before and after.
"""
import argparse
import logging
import tempfile
import threading
import time

import redis
import requests
import torch
from werkzeug.serving import make_server

from backend import create_app
from backend.project_state import ProjectState
from backend.settings import default_base_model
from model.datasets import wnut16
from model.inference import INFERENCE_BATCH_SIZE
from model.task_types import parse_label_config
from tests import payloads


def raw_forward(predictor, texts, batch_size=INFERENCE_BATCH_SIZE):
    """Tag probabilities of every token, length-sorted batches: the least work a token classifier can do."""
    ordered = sorted(texts, key=len)
    with torch.inference_mode():
        for start in range(0, len(ordered), batch_size):
            batch = predictor.tokenizer(ordered[start:start + batch_size], padding=True, truncation=True,
                                        max_length=predictor.card.max_length, return_tensors='pt')
            torch.softmax(predictor.classifier(batch['input_ids'], batch['attention_mask']), dim=-1).numpy()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--texts', type=int, default=1000)
    parser.add_argument('--train', type=int, default=100)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--redis', default='redis://127.0.0.1:6379/12')
    args = parser.parse_args(argv)
    logging.getLogger('werkzeug').setLevel(logging.WARNING)
    texts, spans, _ = wnut16()
    task_type = parse_label_config(payloads.SPAN_CONFIG)
    renamed = [[[s, e, payloads.SPAN_LABELS[label]] for s, e, label in text_spans if label in payloads.SPAN_LABELS]
               for text_spans in spans]
    examples = [{'task': i, 'text': texts[i], 'spans': renamed[i]} for i in range(args.train)]
    pool = texts[args.train:args.train + args.texts]
    client = redis.Redis.from_url(args.redis)
    client.flushdb()
    with tempfile.TemporaryDirectory() as models:
        app = create_app({'REDIS_URL': args.redis, 'MODEL_DIR': models, 'MAX_LENGTH': '64'})
        ctx = app.extensions['lsal']
        predictor = task_type.fine_tune(default_base_model(), examples, ctx.training_config(task_type))
        ctx.store.save('2', 'v1', predictor, {})
        project = ProjectState(client, '2')
        project.save_label_config(payloads.SPAN_CONFIG)
        project.publish('v1', {'created_at': time.time()})
        server = make_server('127.0.0.1', 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f'http://127.0.0.1:{server.server_port}'
        try:
            body = payloads.span_predict([payloads.span_task(i, text) for i, text in enumerate(pool)])
            requests.post(f'{url}/predict', json=payloads.span_predict(body['tasks'][:8]), timeout=600)  # load
            raw_forward(predictor, pool[:8])
            raw, http = [], []
            for _ in range(args.repeats):  # interleaved, so that a busy moment hits both
                started = time.perf_counter()
                raw_forward(predictor, pool)
                raw.append(time.perf_counter() - started)
                started = time.perf_counter()
                response = requests.post(f'{url}/predict', json=body, timeout=600)
                http.append(time.perf_counter() - started)
                response.raise_for_status()
        finally:
            server.shutdown()
            client.flushdb()
    spans_found = sum(len(r['result']) for r in response.json()['results'])
    print(f'{len(pool)} WNUT-16 tweets, {torch.get_num_threads()} torch threads, strategy {ctx.settings.strategy}')
    print(f'raw forward      {len(pool) / min(raw):7.1f} texts/s (best of {args.repeats})')
    print(f'/predict (HTTP)  {len(pool) / min(http):7.1f} texts/s (best of {args.repeats}; {spans_found} spans)')
    print(f'ratio /predict / raw forward: {min(raw) / min(http):.2f}')


if __name__ == '__main__':
    main()

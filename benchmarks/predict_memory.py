"""How much larger a web process stays after the largest /predict the limits allow.

    python -m benchmarks.predict_memory [--tasks 1000] [--chars 20000] [--rounds 3]

Fine-tunes a text-classification version (MiniLM, one epoch on 20 BBC News articles), publishes
it and sends ``--rounds`` requests of ``--tasks`` tasks of ``--chars`` characters each (at the
defaults, exactly MAX_PREDICT_CHARS) to the real app in this process. It reports the resident set
size after a 10-task warm-up (the baseline, model loaded), after each large request before and
after the app trims the heap (it does once the response is sent), and the peak. The database
is flushed before and after.
"""
import argparse
import gc
import logging
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import redis

from backend import create_app
from backend.memory import malloc_trim
from backend.project_state import ProjectState
from model.task_types import parse_label_config
from simulation.datasets import bbc_news
from support import payloads


def memory_mib():
    """``(resident, peak resident)`` of this process in MiB."""
    fields = dict(line.split(':', 1) for line in Path('/proc/self/status').read_text().splitlines())
    return tuple(int(fields[name].split()[0]) / 1024 for name in ('VmRSS', 'VmHWM'))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--tasks', type=int, default=1000)
    parser.add_argument('--chars', type=int, default=20000)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--redis', default='redis://127.0.0.1:6379/12')
    args = parser.parse_args(argv)
    logging.getLogger('werkzeug').setLevel(logging.WARNING)
    texts, labels = bbc_news()
    task_type = parse_label_config(payloads.LABEL_CONFIG)
    examples = [{'task': i, 'text': texts[i], 'choices': [labels[i]]} for i in range(20)]
    long_text = ' '.join(texts[20:60])
    big = [payloads.task(1000 + i, (long_text[i:] + long_text)[:args.chars]) for i in range(args.tasks)]
    client = redis.Redis.from_url(args.redis)
    client.flushdb()
    try:
        with tempfile.TemporaryDirectory() as models:
            app = create_app({'REDIS_URL': args.redis, 'MODEL_DIR': models})
            ctx = app.extensions['lsal']
            predictor = task_type.fine_tune(ctx.settings.base_model, examples,
                                            replace(ctx.training_config(task_type), epochs=1, min_steps=1))
            project = ProjectState(ctx.redis, '1')
            project.save_label_config(payloads.LABEL_CONFIG)
            ctx.store.save('1', 'v1', predictor, {})
            project.publish('v1', {'created_at': time.time(), 'metrics': {'evaluated': False}})
            web = app.test_client()
            assert web.post('/predict', json=payloads.predict(big[:10])).status_code == 200
            gc.collect()
            malloc_trim()(0)  # leave out what the fine-tune above freed
            baseline, _ = memory_mib()
            print(f'baseline after a 10-task request: {baseline:.0f} MiB')
            for number in range(1, args.rounds + 1):
                started = time.monotonic()
                response = web.post('/predict', json=payloads.predict(big))
                seconds = time.monotonic() - started
                assert response.status_code == 200, response.json
                gc.collect()
                kept, _ = memory_mib()
                response.close()  # as a WSGI server does once the response is sent: the trim runs
                resident, peak = memory_mib()
                print(f'request {number}: {args.tasks} tasks x {args.chars} chars in {seconds:.1f}s; resident '
                      f'before the trim {kept:.0f} MiB (+{kept - baseline:.0f}), after it {resident:.0f} MiB '
                      f'(+{resident - baseline:.0f}); peak {peak:.0f} MiB')
    finally:
        client.flushdb()


if __name__ == '__main__':
    main()

"""Re-scoring a pool when a project serves several controls: one model per control, against one control.

    python -m benchmarks.controls_rescore [--labeled 200] [--pool 1000] [--repeats 2]

Fine-tunes one MiniLM text classifier per control of a config with up to four ``<Choices>`` over one
``<Text>`` (BBC News first paragraphs: the topic, and three labels read off the text: its length, whether
it holds a digit, whether it names a country of the UK), then times what the re-scoring job does per page
(:func:`~backend.predictions.predict_tasks`: read, infer, score, result items) over the pool with the
first 1, 2 and 4 controls, interleaved, best of ``--repeats``. A shared encoder with one head per control
would run the encoder once per task whatever the number of controls: its cost is about the one-control
time (a head is one matrix product). fp32 on the CPU, the ``margin`` strategy. Prints a JSON line.
"""
import argparse
import json
import time

import numpy as np
import torch

from backend.predictions import predict_tasks
from model.acquisition import Acquisition
from model.device import machine_kind
from model.multi_control import ControlModels
from model.task_type import Reader
from model.task_types import parse_label_config
from model.transformer import default_text_model
from simulation.datasets import bbc_news

EXTRA_CONTROLS = {
    'length': (('brief', 'wordy'), lambda text: 'wordy' if len(text) > 150 else 'brief'),
    'figures': (('digits', 'words'), lambda text: 'digits' if any(c.isdigit() for c in text) else 'words'),
    'uk': (('uk', 'elsewhere'), lambda text: 'uk' if any(w in text for w in ('UK', 'Britain', 'British', 'London'))
           else 'elsewhere'),
}
"""Controls beside the topic: name -> (labels, the label of a text)."""


def config(topics, names):
    choices = [f'<Choices name="topic" toName="t">{"".join(f"<Choice value={t!r}/>" for t in topics)}</Choices>']
    choices += [f'<Choices name="{name}" toName="t">{"".join(f"<Choice value={v!r}/>" for v in labels)}</Choices>'
                for name, (labels, _) in EXTRA_CONTROLS.items() if name in names]
    return f'<View><Text name="t" value="$text"/>{"".join(choices)}</View>'


def annotation(number, text, topic):
    result = [{'from_name': 'topic', 'to_name': 't', 'type': 'choices', 'value': {'choices': [topic]}}]
    result += [{'from_name': name, 'to_name': 't', 'type': 'choices', 'value': {'choices': [label_of(text)]}}
               for name, (_, label_of) in EXTRA_CONTROLS.items()]
    return {'id': number, 'result': result}, {'id': number, 'data': {'text': text}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--labeled', type=int, default=200)
    parser.add_argument('--pool', type=int, default=1000)
    parser.add_argument('--repeats', type=int, default=2)
    args = parser.parse_args()
    texts, topics = bbc_news()
    texts = [text.split('\n\n')[0] + '. ' + text.split('\n\n')[1] for text in texts]
    rng = np.random.default_rng(0)
    order = rng.permutation(len(texts))
    labeled, pool = order[:args.labeled], order[args.labeled:args.labeled + args.pool]
    reader = Reader()
    full = parse_label_config(config(sorted(set(topics)), EXTRA_CONTROLS))
    examples = [full.example_from(*annotation(int(i), texts[i], topics[i]), reader) for i in labeled]
    started = time.monotonic()
    trained = full.fine_tune(default_text_model(), examples, full.training_config(max_length=128))
    train_seconds = time.monotonic() - started
    tasks = [{'id': int(i), 'data': {'text': texts[i]}} for i in pool]
    sizes = (1, 2, 4)
    seconds = {size: [] for size in sizes}
    for _ in range(args.repeats):
        for size in sizes:
            names = list(trained.parts)[:size]
            task_type = parse_label_config(config(sorted(set(topics)), names[1:]))
            predictor = trained.parts['topic'] if size == 1 else ControlModels({n: trained.parts[n] for n in names})
            began = time.perf_counter()
            predict_tasks(tasks, task_type, predictor, 'v', Acquisition('margin'), np.random.default_rng(0), reader)
            seconds[size].append(time.perf_counter() - began)
    best = {size: min(values) for size, values in seconds.items()}
    print(json.dumps({'machine': machine_kind(torch.device('cpu')), 'pool': args.pool,
                      'labeled': args.labeled, 'train_seconds_four_controls': round(train_seconds, 1),
                      'rescore_seconds': {str(size): round(value, 2) for size, value in best.items()},
                      'tasks_per_second': {str(size): round(args.pool / value, 1) for size, value in best.items()},
                      'ratio_to_one_control': {str(size): round(value / best[1], 2) for size, value in best.items()}}))


if __name__ == '__main__':
    main()

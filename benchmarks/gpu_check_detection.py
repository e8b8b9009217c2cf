"""Object detection on the CPU and on CUDA, same scenes, same recipe, one run.

    python -m benchmarks.gpu_check_detection [--size 128] [--train 500] [--test 500] [--out figures.json]

Fine-tunes the detector (EfficientNet-Lite0 + CenterNet head) with the detection recipe on ``--train``
``mnist_boxes`` scenes read at ``--size`` pixels, on the CPU and on CUDA (fp32), through the task type as
the worker runs it; reports the seconds, mAP@0.5 and mAP on ``--test`` other scenes, and the images per
second of inference over a pool already read (what a re-scoring page holds). Prints JSON; ``--out`` also
writes it.
"""
import argparse
import json
import time

import torch

from model.detection import ObjectDetection
from model.device import CPU, Runtime, resolve_device
from model.image_classification import default_image_model
from model.task_type import Reader
from simulation.cli import DATASET_CACHE
from simulation.detection_datasets import mnist_boxes


def scenes(size, count):
    """The task type and ``count`` loaded examples of ``mnist_boxes``, read at ``size`` pixels."""
    paths, boxes = mnist_boxes(DATASET_CACHE, num_images=count)
    labels = tuple(sorted({box[4] for found in boxes for box in found}))
    task_type = ObjectDetection(from_name='label', to_name='image', field='image', labels=labels)
    examples = [{'task': n, 'image': path, 'boxes': [list(box) for box in found]}
                for n, (path, found) in enumerate(zip(paths, boxes))]
    loaded, _ = task_type.loaded(examples, Reader(image_size=size))
    return task_type, loaded


def run(runtime, task_type, weights, train, test, pool, size):
    """Fine-tune and predict on ``runtime``: seconds, mAP and images per second."""
    started = time.perf_counter()
    predictor = task_type.fine_tune(weights, train, task_type.training_config(image_size=size), runtime)
    if runtime.device.type == 'cuda':
        torch.cuda.synchronize()
    train_seconds = time.perf_counter() - started
    metrics = task_type.evaluate(predictor, test)
    predictor.infer(pool[:32])  # warm-up
    started = time.perf_counter()
    predictor.infer(pool)
    rate = len(pool) / (time.perf_counter() - started)
    return {'runtime': str(runtime.device), 'train_seconds': round(train_seconds, 2),
            'map_50': round(metrics['map_50'], 4), 'map': round(metrics['map'], 4), 'images': len(pool),
            'images_per_second': round(rate, 1)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--weights', help='EfficientNet-Lite0 state_dict (default: DETECTION_MODEL\'s default)')
    parser.add_argument('--size', type=int, default=128)
    parser.add_argument('--train', type=int, default=500)
    parser.add_argument('--test', type=int, default=500)
    parser.add_argument('--cpu-images', type=int, default=500)
    parser.add_argument('--cuda-images', type=int, default=5000)
    parser.add_argument('--out')
    args = parser.parse_args(argv)
    weights = args.weights or default_image_model()
    task_type, examples = scenes(args.size, args.train + args.test)
    train, test = examples[:args.train], examples[args.train:]
    pool = [examples[i % len(examples)]['pixels'] for i in range(max(args.cpu_images, args.cuda_images))]
    report = {'size': args.size, 'cpu_threads': torch.get_num_threads(), 'gpu': None,
              'runs': [run(CPU, task_type, weights, train, test, pool[:args.cpu_images], args.size)]}
    if resolve_device('auto').type == 'cuda':
        report['gpu'] = torch.cuda.get_device_name(0)
        # Twice: the first pays CUDA's start and kernel selection, which a worker pays once.
        for _ in range(2):
            report['runs'].append(run(Runtime(torch.device('cuda')), task_type, weights, train, test,
                                      pool[:args.cuda_images], args.size))
    print(json.dumps(report, indent=2))
    if args.out:
        with open(args.out, 'w') as handle:
            json.dump(report, handle, indent=2)


if __name__ == '__main__':
    main()

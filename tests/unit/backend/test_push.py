"""Pacing of the pushes to Label Studio: chunks of ``PUSH_CHUNK``, a pause of ``PUSH_PAUSE`` times the last
import's duration between two, and the ``CLUSTER_TASKS`` created one at a time (the real Label Studio run:
``tests/integration/test_rescore.py``)."""
from types import SimpleNamespace

from backend import rescore
from backend.rescore import Push
from backend.settings import Settings


class Clock:
    """``time.monotonic`` and ``time.sleep`` that advance by hand."""

    def __init__(self):
        self.now, self.slept = 100.0, []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


class SlowLabelStudio:
    """Takes one second per 1,000 predictions imported, and records each import's size."""

    def __init__(self, clock):
        self.clock, self.imports, self.created, self.used = clock, [], [], []
        self.rows = []

    def import_predictions(self, rows):
        self.imports.append(len(rows))
        self.rows.extend(rows)
        self.clock.now += len(rows) / 1000

    def create_prediction(self, row):
        self.created.append(row)

    def use_version(self, version, uncertainty_sampling):
        self.used.append(version)


def pushed(monkeypatch, tasks, rows=None, **environ):
    clock = Clock()
    monkeypatch.setattr(rescore, 'time', clock)
    settings = Settings.from_env(environ)
    ctx = SimpleNamespace(settings=settings, project_setting=lambda project, name: getattr(settings, name))
    label_studio = SlowLabelStudio(clock)
    push = Push(ctx, None, label_studio, 'v1')
    rows = rows or [{'score': i / tasks} for i in range(tasks)]
    push.add([{'id': i} for i in range(tasks)], rows)
    push.finish()
    return label_studio, clock, push


def test_imports_come_in_chunks_with_pauses_proportional_to_the_last_import(monkeypatch):
    label_studio, clock, push = pushed(monkeypatch, 4500, PUSH_CHUNK='2000', PUSH_PAUSE='1.5')
    assert label_studio.imports == [1000, 2000, 1500]
    assert label_studio.used == ['v1'] and push.pushed == 4500
    assert clock.slept == [0.0, 1.5 * 1.0, 1.5 * 2.0]


def test_without_a_pause_the_imports_follow_each_other(monkeypatch):
    label_studio, clock, _ = pushed(monkeypatch, 12000, PUSH_CHUNK='5000', PUSH_PAUSE='0')
    assert label_studio.imports == [1000, 5000, 5000, 1000]
    assert set(clock.slept) == {0.0}


def test_a_chunk_smaller_than_the_first_push_bounds_it_too(monkeypatch):
    label_studio, _, _ = pushed(monkeypatch, 1200, PUSH_CHUNK='500', PUSH_PAUSE='0')
    assert label_studio.imports == [500, 500, 200]


def test_the_lowest_scores_with_a_cluster_are_created_one_at_a_time_and_the_rest_imported(monkeypatch):
    rows = [{'score': (9 - i) / 10, **({'cluster': i % 3} if i != 9 else {})} for i in range(10)]  # 0.0: none
    label_studio, _, push = pushed(monkeypatch, 10, rows, CLUSTER_TASKS='3', PUSH_CHUNK='4')
    assert [(row['score'], row['cluster']) for row in label_studio.created] == [(0.1, 2), (0.2, 1), (0.3, 0)]
    assert label_studio.imports == [1, 4, 2], 'the first chunk of four: three created, one imported'
    assert [row['score'] for row in label_studio.rows] == [0.0, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    assert not any('cluster' in row for row in label_studio.rows)
    assert push.progress(10, done=True)['clustered'] == 3 and push.pushed == 10


def test_each_cluster_gets_as_many_as_are_labeled_before_the_next_version(monkeypatch):
    rows = [{'score': i / 10, 'cluster': 0 if i < 6 else 1} for i in range(10)]  # cluster 1 from 0.6 on
    label_studio, _, push = pushed(monkeypatch, 10, rows, TRAIN_EVERY='2', CLUSTER_TASKS='100')
    assert [(row['score'], row['cluster']) for row in label_studio.created] == [(0.0, 0), (0.1, 0), (0.6, 1),
                                                                                 (0.7, 1)]
    assert push.progress(10, done=True)['clustered'] == 4

"""Box label issues by cleanlab's ObjectLab, on hand-built images where the wrong ones are known."""
import multiprocessing.pool

import numpy as np

from model.detection import ObjectDetection
from model.detection.label_issues import box_label_issues

LABELS = ('one', 'two', 'three')


def scenes(count=30, seed=0):
    """``(given, found)``: three boxes per image, found again by a confident model a little off."""
    rng = np.random.default_rng(seed)
    given, found = [], []
    for _ in range(count):
        boxes, detections = [], []
        for _ in range(3):
            (x, y), side, label = rng.uniform(0, 0.7, 2), rng.uniform(0.1, 0.25), LABELS[rng.integers(3)]
            boxes.append((x, y, x + side, y + side, label))
            jitter = rng.normal(0, 0.005, 4)
            detections.append((x + jitter[0], y + jitter[1], x + side + jitter[2], y + side + jitter[3], label, 0.97))
        given.append(boxes)
        found.append(detections)
    return given, found


def broken(given):
    """Image 0 with a swapped label, image 1 with an object left unboxed, image 2 with a misplaced box."""
    given = [list(boxes) for boxes in given]
    x1, y1, x2, y2, label = given[0][0]
    given[0][0] = (x1, y1, x2, y2, next(other for other in LABELS if other != label))
    given[1] = given[1][1:]
    x1, y1, x2, y2, label = given[2][0]
    given[2][0] = (x1 + 0.15, y1 + 0.15, x2 + 0.15, y2 + 0.15, label)
    return given


def test_the_swapped_the_overlooked_and_the_misplaced_are_the_three_found_and_rank_lowest():
    given, found = scenes()
    quality, issue = box_label_issues(broken(given), found, LABELS)
    assert np.flatnonzero(issue).tolist() == [0, 1, 2]
    assert sorted(np.argsort(quality)[:3].tolist()) == [0, 1, 2]
    assert np.all((0 <= quality) & (quality <= 1))


def test_boxes_that_agree_with_the_model_are_not_suspects_and_no_pool_is_forked_from_here(monkeypatch):
    def no_pool(*args, **kwargs):
        raise AssertionError('cleanlab forked a process pool from this process')

    monkeypatch.setattr(multiprocessing.pool.Pool, '__init__', no_pool)  # a fork here could hang a worker
    given, found = scenes()
    _, issue = box_label_issues(given, found, LABELS)
    assert not issue.any()


def test_the_task_type_reads_percent_boxes_and_suggests_the_confident_ones():
    boxes = ObjectDetection(from_name='marks', to_name='photo', field='image', labels=LABELS)
    given, found = scenes()
    examples = [{'task': i, 'image': f'{i}.png', 'boxes': [[100 * x1, 100 * y1, 100 * (x2 - x1), 100 * (y2 - y1), label]
                                                          for x1, y1, x2, y2, label in image]}
                for i, image in enumerate(broken(given))]
    found[0].append((0.9, 0.9, 0.95, 0.95, 'one', 0.2))  # below the 0.5 threshold: not suggested
    quality, issue, suggested = boxes.label_issues(found, examples)
    assert np.flatnonzero(issue).tolist() == [0, 1, 2]
    assert len(suggested[0]) == 3 and suggested[0][0][4] == found[0][0][4]
    x1, y1, x2, y2 = found[0][0][:4]
    assert np.allclose(suggested[0][0][:4], [100 * x1, 100 * y1, 100 * (x2 - x1), 100 * (y2 - y1)], atol=0.01)
    assert all(boxes.reads_output(output) for output in found)
    assert boxes.kept_output(found[0])[-1] == [0.9, 0.9, 0.95, 0.95, 'one', 0.2]


def test_no_images_no_judgement():
    quality, issue = box_label_issues([], [], LABELS)
    assert quality.shape == issue.shape == (0,) and issue.dtype == bool

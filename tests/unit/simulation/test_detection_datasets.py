import json
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simulation import detection_datasets
from simulation.detection_datasets import (
    CANVAS,
    DIGIT_SIZE,
    DIGIT_STRETCH,
    boxes_from_label_studio_export,
    export_has_boxes,
    from_coco,
    mnist_boxes,
)
from simulation.exceptions import DatasetError

SCENES = 120
"""Scenes rendered for the tests: enough for every digit count, fast to draw."""


@pytest.fixture(scope='module')
def scenes(tmp_path_factory):
    cache = tmp_path_factory.mktemp('detection')
    return cache, mnist_boxes(cache, num_images=SCENES)


def write(folder, name, content):
    path = folder / name
    path.write_text(json.dumps(content))
    return path


def test_scenes_hold_up_to_four_digits_and_one_in_ten_is_empty(scenes):
    _, (images, boxes) = scenes
    assert len(images) == len(boxes) == SCENES
    counts = np.bincount([len(found) for found in boxes], minlength=5)
    assert len(counts) == 5 and all(counts[1:] > 0)
    assert 0.05 <= counts[0] / SCENES <= 0.2
    assert {label for found in boxes for *_, label in found} == {str(digit) for digit in range(10)}


def test_boxes_are_inside_the_scene_and_tight_around_ink(scenes):
    _, (images, boxes) = scenes
    smallest = DIGIT_SIZE[0] * CANVAS * DIGIT_STRETCH[0] - 2
    largest = DIGIT_SIZE[1] * CANVAS * DIGIT_STRETCH[1] + 2
    for path, found in zip(images, boxes):
        pixels = np.asarray(Image.open(path))
        assert pixels.shape == (CANVAS, CANVAS)
        for x, y, width, height, _ in found:
            assert 0 <= x < x + width <= 100 and 0 <= y < y + height <= 100
            x0, y0, x1, y1 = (round(value * CANVAS / 100) for value in (x, y, x + width, y + height))
            assert smallest <= max(x1 - x0, y1 - y0) <= largest
            digit = pixels[y0:y1, x0:x1]
            # Every side of the box touches a stroke: the dark background stays under 40 almost everywhere.
            assert digit.max() >= 100
            assert min(digit[0].max(), digit[-1].max(), digit[:, 0].max(), digit[:, -1].max()) >= 40


def test_a_second_call_reads_the_index_without_rendering(scenes, monkeypatch):
    cache, rendered = scenes
    images, _ = rendered
    stamps = [Path(path).stat().st_mtime_ns for path in images]

    def no_render(*_):
        raise AssertionError('rendered again')

    monkeypatch.setattr(detection_datasets, 'mnist', no_render)
    started = time.perf_counter()
    assert mnist_boxes(cache, num_images=SCENES) == rendered
    assert time.perf_counter() - started < 1
    assert [Path(path).stat().st_mtime_ns for path in images] == stamps


def test_rendering_is_deterministic_for_a_seed(scenes):
    cache, _ = scenes
    images, boxes = mnist_boxes(cache, num_images=8, seed=3)
    first = [np.asarray(Image.open(path)) for path in images]
    shutil.rmtree(Path(images[0]).parent)
    again_images, again_boxes = mnist_boxes(cache, num_images=8, seed=3)
    assert again_boxes == boxes
    assert all(np.array_equal(np.asarray(Image.open(path)), pixels) for path, pixels in zip(again_images, first))
    assert mnist_boxes(cache, num_images=8, seed=4)[1] != boxes


def test_each_digit_is_used_once_before_any_repeats():
    order = detection_datasets._shuffled_passes(5, np.random.default_rng(0))
    first, second = [next(order) for _ in range(5)], [next(order) for _ in range(5)]
    assert sorted(first) == sorted(second) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize('arguments, message', [
    ({'num_images': 0}, 'num_images: expected at least 1, got 0'),
    ({'canvas': 32}, 'canvas: expected at least 64 px, got 32'),
])
def test_mnist_boxes_checks_its_arguments(tmp_path, arguments, message):
    with pytest.raises(ValueError, match=message):
        mnist_boxes(tmp_path, **arguments)


COCO = {
    'images': [
        {'id': 1, 'file_name': 'a.jpg', 'width': 200, 'height': 100},
        {'id': 2, 'file_name': '/data/b.png', 'width': 50, 'height': 50},
        {'id': 3, 'file_name': 'http://host/c.jpg', 'width': 400, 'height': 400},
    ],
    'annotations': [
        {'id': 10, 'image_id': 1, 'category_id': 1, 'bbox': [10, 20, 30, 40]},
        {'id': 11, 'image_id': 1, 'category_id': 2, 'bbox': [190, 90, 20, 20]},  # reaches outside: clipped
        {'id': 12, 'image_id': 1, 'category_id': 2, 'bbox': [0, 0, 200, 100], 'iscrowd': 1},
        {'id': 13, 'image_id': 3, 'category_id': 2, 'bbox': [100, 0, 100, 200.5]},
    ],
    'categories': [{'id': 1, 'name': 'cat'}, {'id': 2, 'name': 'dog'}],
}


def test_coco_boxes_are_percent_of_their_image(tmp_path):
    images, boxes = from_coco(write(tmp_path, 'coco.json', COCO))
    assert images == [str(tmp_path / 'a.jpg'), '/data/b.png', 'http://host/c.jpg']
    assert boxes == [[(5.0, 20.0, 15.0, 40.0, 'cat'), (95.0, 90.0, 5.0, 10.0, 'dog')],
                     [],
                     [(25.0, 0.0, 25.0, 50.125, 'dog')]]


def replaced(part, index, **fields):
    coco = json.loads(json.dumps(COCO))
    coco[part][index].update(fields)
    return coco


@pytest.mark.parametrize('coco, message', [
    ({'images': [], 'annotations': []},
     'expected a COCO object with lists images, annotations, categories; missing categories'),
    (replaced('images', 1, width=None), r'image 2: width and height must be positive numbers, got None and 50'),
    (replaced('images', 1, file_name=''), 'image 2: no file_name'),
    (replaced('images', 1, id=1), 'image id 1 appears twice'),
    (replaced('annotations', 0, bbox=[10, 20, -30, 40]),
     r'annotation 10 \(image 1\): bbox \[10, 20, -30, 40\] is not'),
    (replaced('annotations', 0, bbox=[10, 20, 30]), r'annotation 10 \(image 1\): bbox \[10, 20, 30\] is not'),
    (replaced('annotations', 1, category_id=7),
     r'annotation 11 \(image 1\): unknown category_id 7; categories are \[1, 2\]'),
    (replaced('annotations', 3, image_id=9), r'annotation 13 \(image 9\): no image has this id'),
    (replaced('annotations', 0, bbox=[300, 0, 10, 10]),
     r'annotation 10 \(image 1\): bbox \[300, 0, 10, 10\] lies outside the 200 x 100 image'),
    (replaced('categories', 0, name=None), 'category 1 has no name'),
])
def test_coco_errors_name_the_file_and_the_culprit(tmp_path, coco, message):
    path = write(tmp_path, 'coco.json', coco)
    with pytest.raises(DatasetError, match=f'^{re.escape(str(path))}: {message}'):
        from_coco(path)


def test_a_file_that_is_not_json_is_named(tmp_path):
    path = tmp_path / 'coco.json'
    path.write_text('{"images": [')
    with pytest.raises(DatasetError, match='coco.json: not a JSON file'):
        from_coco(path)


def box(x, y, width, height, label='car', **extra):
    value = {'x': x, 'y': y, 'width': width, 'height': height, 'rectanglelabels': [label], **extra.pop('value', {})}
    return {'id': extra.pop('id', 'r'), 'type': 'rectanglelabels', 'from_name': 'label', 'to_name': 'image',
            'value': value, **extra}


EXPORT = [
    {'id': 1, 'data': {'image': '/data/upload/1/a.jpg'}, 'annotations': [
        {'was_cancelled': True, 'result': [box(1, 1, 1, 1)]},
        {'result': [
            box(12.3, 45.6, 7.8, 9.1, id='a'),
            # Label Studio issue 2293: a 300 x 100 px box turned 90 degrees on a 1000 x 500 image.
            box(20, 20, 30, 20, 'person', id='b', value={'rotation': 90}, original_width=1000,
                original_height=500),
            box(90, 95, 20, 10, id='c'),  # reaches outside: clipped
            {'id': 'd', 'type': 'choices', 'value': {'choices': ['day']}},
        ]}]},
    {'id': 2, 'data': {'image': 'b.jpg'}, 'annotations': [{'was_cancelled': True, 'result': [box(1, 1, 1, 1)]}]},
    {'id': 3, 'data': {'image': 'c.jpg'}, 'annotations': [{'result': []}]},
    {'id': 4, 'data': {'image': 'd.jpg'}, 'annotations': []},
]


def test_label_studio_boxes_come_from_the_first_kept_annotation(tmp_path):
    images, boxes = boxes_from_label_studio_export(write(tmp_path, 'export.json', EXPORT))
    assert images == ['/data/upload/1/a.jpg', 'c.jpg']
    assert boxes == [[(12.3, 45.6, 7.8, 9.1, 'car'), (10.0, 20.0, 10.0, 60.0, 'person'),
                      (90.0, 95.0, 10.0, 5.0, 'car')],
                     []]


def test_label_studio_image_field_is_named_when_data_has_several(tmp_path):
    export = [{'id': 1, 'data': {'image': 'a.jpg', 'caption': 'x'}, 'annotations': [{'result': [box(1, 2, 3, 4)]}]}]
    path = write(tmp_path, 'export.json', export)
    with pytest.raises(DatasetError, match=r"task 1: name the image field \(data has \['caption', 'image'\]\)"):
        boxes_from_label_studio_export(path)
    assert boxes_from_label_studio_export(path, image_field='image') == (['a.jpg'], [[(1.0, 2.0, 3.0, 4.0, 'car')]])


@pytest.mark.parametrize('region, message', [
    (box(1, 2, 3, 4, value={'rectanglelabels': []}), 'region r: no label in value.rectanglelabels'),
    (box(None, 2, 3, 4), 'region r: result: value has no number x'),
    (box(1, 2, 3, 4, value={'rotation': 30}), 'region r: result: a box rotated by 30 degrees needs original_width'),
    (box(100, 0, 10, 10),
     r'region r: box \[100.0, 0.0, 10.0, 10.0\] \(percent x, y, width, height\) has no area inside the image'),
])
def test_label_studio_region_errors_name_the_task_and_region(tmp_path, region, message):
    export = [{'id': 7, 'data': {'image': 'a.jpg'}, 'annotations': [{'result': [region]}]}]
    path = write(tmp_path, 'export.json', export)
    with pytest.raises(DatasetError, match=f'export.json: task 7: {message}'):
        boxes_from_label_studio_export(path)


def test_export_has_boxes_only_with_rectangle_labels(tmp_path):
    assert export_has_boxes(write(tmp_path, 'boxes.json', EXPORT))
    choice = {'id': 'd', 'type': 'choices', 'value': {'choices': ['day']}}
    choices = [{'id': 1, 'data': {'text': 'a'}, 'annotations': [{'result': [choice]}]}]
    assert not export_has_boxes(write(tmp_path, 'choices.json', choices))

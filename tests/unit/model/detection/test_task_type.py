"""What the detection task type measures on boxes: mAP over every box found, agreement over the confident ones."""
import pytest

from model.detection import ObjectDetection

TYPE = ObjectDetection(from_name='marks', to_name='photo', field='snapshot', labels=('cat', 'dog'),
                       box_threshold=0.5)

CAT = (0.1, 0.1, 0.4, 0.4, 'cat')
"""A box ``(x1, y1, x2, y2, label)`` normalised to the image."""


def example(*boxes):
    """A training example holding ``boxes`` as Label Studio's percent ``x, y, width, height, label``."""
    return {'boxes': [(x1 * 100, y1 * 100, (x2 - x1) * 100, (y2 - y1) * 100, label) for x1, y1, x2, y2, label in boxes]}


def test_map_ranks_boxes_below_the_threshold_too():
    unsure = [[(*CAT[:4], 'cat', 0.1)]]
    assert TYPE.metrics(unsure, [example(CAT)])['map_50'] == pytest.approx(1.0)
    assert TYPE.metrics([[]], [example(CAT)])['map_50'] == pytest.approx(0.0)


def test_agreement_compares_only_the_boxes_that_would_be_pre_annotated():
    sure = (*CAT[:4], 'cat', 0.9)
    unsure = (0.6, 0.6, 0.9, 0.9, 'dog', 0.2)
    assert TYPE.agreement([[sure], [unsure]], [[sure], []]) == 1.0
    assert TYPE.agreement([[sure, unsure]], [[sure]]) == 1.0
    assert TYPE.agreement([[sure]], [[(*CAT[:4], 'cat', 0.4)]]) == 0.0
    assert TYPE.agreement([[sure]], [[(*CAT[:4], 'dog', 0.9)]]) == 0.0


def test_a_box_to_the_image_edge_stays_inside_it_though_its_corner_and_width_were_rounded_apart():
    stored = {'boxes': [[5.887, 10.0, 94.1131, 90.0001, 'cat']]}  # x + width = 100.0001 after rounding
    [(x1, y1, x2, y2, label)] = TYPE._normalised(stored)
    assert (x2, y2) == (1.0, 1.0) and x1 == pytest.approx(0.05887)


@pytest.mark.parametrize('value', [0, '0', 1.5, -0.1, 10 ** 400, True])
def test_a_box_threshold_outside_0_to_1_is_refused(value):
    with pytest.raises(ValueError, match=r'expected a number in \(0, 1\]'):
        ObjectDetection.OPTIONS['box_threshold'](value)

import math

import numpy as np
import pytest
import torch

from model.detection.targets import CenterNetLoss, decode, encode, gaussian_radius

# On an 8 x 8 map the centre (0.3, 0.325) of this box is cell (row 2, col 2) plus (0.4, 0.6) of a cell.
BOX = [0.1, 0.2, 0.5, 0.45]


def test_a_box_peaks_at_1_in_its_centre_cell_of_its_class_with_its_size_and_offset_there():
    targets = encode([np.array([BOX])], [np.array([1])], num_classes=2, map_size=(8, 8))
    assert targets.heatmap.shape == (1, 2, 8, 8)
    assert targets.heatmap[0, 1, 2, 2] == 1.0
    assert targets.heatmap[0, 1].flatten().argmax() == 2 * 8 + 2
    assert targets.heatmap[0, 0].abs().sum() == 0, 'the other class stays 0'
    assert targets.size[0, :, 2, 2].tolist() == pytest.approx([0.4, 0.25])
    assert targets.offset[0, :, 2, 2].tolist() == pytest.approx([0.4, 0.6])
    assert targets.mask[0].nonzero().tolist() == [[2, 2]]
    assert targets.size.abs().sum() == pytest.approx(0.65) and targets.offset.abs().sum() == pytest.approx(1.0)


def test_gaussian_radius_is_centernets_and_sets_the_falloff():
    # Square box of side s: r3 = s * (-2.8 + sqrt(2.8^2 + 4 * 2.8 * 0.3)) / 2 = 0.2733 s.
    assert gaussian_radius(8, 8) == pytest.approx(8 * (-2.8 + math.sqrt(11.2)) / 2)
    # A box of 8 x 8 cells on a 16 x 16 map: radius int(2.19) = 2, sigma (2 * 2 + 1) / 6.
    targets = encode([np.array([[0.25, 0.25, 0.75, 0.75]])], [np.array([0])], 1, (16, 16))
    heat = targets.heatmap[0, 0]
    sigma2 = (5 / 6) ** 2
    assert heat[8, 8] == 1.0
    assert heat[8, 9].item() == pytest.approx(math.exp(-1 / (2 * sigma2)), rel=1e-5)
    assert heat[10, 10].item() == pytest.approx(math.exp(-8 / (2 * sigma2)), rel=1e-5)
    assert heat[8, 11] == 0 and heat[11, 8] == 0, 'nothing beyond the radius'


def test_overlapping_objects_keep_the_larger_heat_and_an_empty_image_is_all_zero():
    boxes = [np.array([[0.0, 0.0, 0.5, 0.5], [0.125, 0.0, 0.625, 0.5]]), np.zeros((0, 4))]
    targets = encode(boxes, [np.array([0, 0]), np.zeros(0, dtype=np.int64)], 1, (8, 8))
    assert targets.heatmap[0, 0, 2, 2] == 1.0 and targets.heatmap[0, 0, 2, 3] == 1.0
    assert targets.mask[0].sum() == 2
    assert targets.heatmap[1].abs().sum() == 0 and targets.mask[1].sum() == 0


def test_decoding_the_targets_gives_the_boxes_back_best_first_then_zero_confidence_candidates():
    boxes = np.array([BOX, [0.6, 0.55, 0.95, 1.0]], dtype=np.float32)
    targets = encode([boxes], [np.array([1, 0])], 2, (8, 8))
    candidates = decode(targets.heatmap, targets.size, targets.offset, top_k=5)
    assert len(candidates.boxes) == 1
    found = candidates.boxes[0]
    assert found.shape == (5, 4) and candidates.class_probabilities[0].shape == (5, 2)
    # Both peaks are 1: equal peaks keep the map's order, so the box in row 2 comes before the one in row 6.
    np.testing.assert_allclose(found[:2], boxes, atol=1e-6)
    np.testing.assert_array_equal(candidates.class_probabilities[0][:2], [[0, 1], [1, 0]])
    np.testing.assert_array_equal(candidates.confidences[0], [1, 1, 0, 0, 0])
    # All-zero cells still count as peaks: uniform classes, confidence 0, a point box.
    np.testing.assert_array_equal(candidates.class_probabilities[0][2:], 0.5)


def test_decode_keeps_low_peaks_renormalises_the_classes_and_clips_the_boxes():
    heatmap = torch.full((1, 2, 4, 4), 0.01)
    heatmap[0, :, 1, 1] = torch.tensor([0.6, 0.2])
    heatmap[0, :, 3, 3] = torch.tensor([0.02, 0.05])
    size = torch.zeros(1, 2, 4, 4)
    size[0, :, 1, 1] = torch.tensor([0.5, 2.0])
    size[0, :, 3, 3] = torch.tensor([-0.5, 0.25])
    offset = torch.full((1, 2, 4, 4), 0.5)
    candidates = decode(heatmap, size, offset, top_k=2)
    np.testing.assert_allclose(candidates.confidences[0], [0.6, 0.05])
    np.testing.assert_allclose(candidates.class_probabilities[0], [[0.75, 0.25], [0.02 / 0.07, 0.05 / 0.07]],
                               rtol=1e-5)
    # Centre (1.5 / 4, 1.5 / 4) = 0.375; a height of 2 is clipped to the image, a negative width is 0.
    np.testing.assert_allclose(candidates.boxes[0], [[0.125, 0.0, 0.625, 1.0], [0.875, 0.75, 0.875, 1.0]],
                               atol=1e-6)


def test_loss_by_hand_on_a_two_cell_map():
    # One object in cell 0 of a 1 x 2 map; all logits 0, so p = 0.5 everywhere, sizes and offsets 0.
    targets = encode([np.array([[0.1, 0.2, 0.4, 0.8]])], [np.array([0])], 1, (1, 2))
    assert targets.heatmap.flatten().tolist() == [1.0, 0.0]
    outputs = (torch.zeros(1, 1, 1, 2), torch.zeros(1, 2, 1, 2), torch.zeros(1, 2, 1, 2))
    loss = CenterNetLoss(size_weight=2.0, offset_weight=1.0)(outputs, targets)
    # focal: positive 0.5^2 ln 2 + negative 1 * 0.5^2 ln 2; size |0.3| and |0.6| averaged; offsets 0.5.
    assert loss.item() == pytest.approx(0.5 * math.log(2) + 2.0 * 0.45 + 1.0 * 0.5, rel=1e-5)


def test_loss_of_an_empty_image_is_the_negative_focal_term_only():
    targets = encode([np.zeros((0, 4))], [np.zeros(0, dtype=np.int64)], 1, (1, 2))
    outputs = (torch.zeros(1, 1, 1, 2), torch.ones(1, 2, 1, 2), torch.ones(1, 2, 1, 2))
    assert CenterNetLoss()(outputs, targets).item() == pytest.approx(2 * 0.25 * math.log(2), rel=1e-5)

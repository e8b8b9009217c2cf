import numpy as np

from strategies.segments import longest_gradient_rows, reduce_segments, segment_starts


def test_segments_start_after_the_ones_before_and_an_empty_one_gets_its_value():
    lengths = np.array([2, 0, 3])
    assert segment_starts(lengths).tolist() == [0, 2, 2]
    values = np.array([1.0, 4.0, 2.0, 7.0, 3.0])
    assert reduce_segments(np.maximum, values, lengths, empty=-1.0).tolist() == [4.0, -1.0, 7.0]
    assert reduce_segments(np.add, values, lengths, empty=0.0).tolist() == [5.0, 0.0, 12.0]


def test_each_segment_keeps_its_row_of_longest_gradient_and_an_empty_one_a_one_hot_row():
    rows = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]])
    # Gradients |p - onehot|^2: 0.02, 0.32, 0.08.
    assert longest_gradient_rows(rows, np.array([2, 0, 1])).tolist() == [[0.6, 0.4], [1.0, 0.0], [0.2, 0.8]]

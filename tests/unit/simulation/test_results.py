from simulation.results import ResultsFolder, read_rounds, round_fields

FIELDS = round_fields(('accuracy',), judged=True, counted=True, rare=True)
ROW = {'dataset': 'd', 'strategy': 'random', 'seed': 0, 'round': 0, 'labels': 25, 'accuracy': 0.5,
       'agreement': None, 'train_seconds': 1.25, 'query_seconds': 0.5, 'flipped': 3, 'suspects': 2,
       'suspect_precision': 0.5, 'suspect_recall': 1.0, 'left_out': 0, 'left_out_flipped': 0,
       'class_counts': '{"a": 20, "b": 5}', 'rare_found': 5, 'rare_f1': 0.25, 'rare_recall': 0.5}


def test_a_resumed_folder_keeps_its_rounds_as_they_were_written(tmp_path):
    ResultsFolder(tmp_path, {'budget': 25}, 1, FIELDS).add_campaign([ROW])
    written = (tmp_path / 'rounds.csv').read_text()

    resumed = ResultsFolder(tmp_path, {'budget': 25}, 1, FIELDS, resume=True)

    assert resumed.done == {('random', 0)}
    assert read_rounds(tmp_path / 'rounds.csv') == [ROW]
    assert (tmp_path / 'rounds.csv').read_text() == written, 'counts stay integers: 5, not 5.0'

"""`lsal simulate` and the simulation loop: a few rounds on BBC News with the 2-layer encoder."""
import csv
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from backend.cli import main
from model import TrainingConfig
from model.task_types import SpanLabeling, TextClassification
from simulation.cli import load_dataset
from simulation.replay import SimulationConfig, campaigns, flip_labels, judge, run, split, summarize
from simulation.report import summary_table
from simulation.results import read_rounds

FAST = TrainingConfig(max_length=32, epochs=1, min_steps=4)


@pytest.fixture(scope='module')
def dataset(bbc):
    return [text for text, _ in bbc[:120]], [label for _, label in bbc[:120]]


@pytest.fixture(scope='module')
def news(bbc):
    """The task type and examples of the dataset, as ``lsal simulate`` builds them."""
    labels = tuple(sorted({label for _, label in bbc}))
    task_type = TextClassification(from_name='label', to_name='text', field='text', labels=labels)
    return task_type, [{'task': i, 'text': text, 'choices': [label]} for i, (text, label) in enumerate(bbc[:120])]


def strip_timing(rows):
    return [{k: v for k, v in r.items() if not k.endswith('seconds')} for r in rows]


def test_rounds_add_a_batch_of_the_lowest_scores_until_the_budget(news, tiny_encoder):
    config = SimulationConfig(initial=6, batch=4, budget=14, seeds=(0,), strategies=('margin',), pool_size=60,
                              test_size=40, training=FAST)
    rows = run(*news, tiny_encoder, config, 0, 'margin', initial=list(range(6)))
    assert [r['labels'] for r in rows] == [6, 10, 14]
    assert rows[0]['agreement'] is None and -1 <= rows[1]['agreement'] <= 1
    assert all(0 <= r['accuracy'] <= 1 and r['train_seconds'] > 0 for r in rows)
    assert all(r['query_seconds'] > 0 for r in rows[:-1])


def test_same_seed_same_curve(news, tiny_encoder):
    config = SimulationConfig(initial=6, batch=6, budget=12, seeds=(1,), strategies=('badge',), pool_size=60,
                              test_size=40, training=FAST)
    first, = campaigns(*news, tiny_encoder, config)
    assert strip_timing(first) == strip_timing(next(campaigns(*news, tiny_encoder, config)))
    assert list(campaigns(*news, tiny_encoder, config, skip={('badge', 1)})) == []


def test_summary_area_and_label_counts_are_hand_checkable():
    rows = [{'strategy': 's', 'seed': seed, 'labels': n, 'accuracy': acc, 'train_seconds': 1.0,
             'query_seconds': 0.5}
            for seed, curve in ((0, [(50, 0.5), (100, 0.7)]), (1, [(50, 0.7), (100, 0.9)])) for n, acc in curve]
    summary = summarize(rows, label_counts=(50, 100), full_metric=0.9)['s']
    assert summary['accuracy@50'] == pytest.approx((0.6, 0.1))
    assert summary['aulc'] == pytest.approx((0.7, 0.1))  # trapezoids: 0.6 and 0.8
    assert summary['labels_to_target'] == [None, 100]  # 95 % of 0.9 is 0.855
    assert summarize(rows, label_counts=(50, 100), full_metric=0.9, target_fraction=0.75)['s'][
        'labels_to_target'] == [100, 50]
    assert summary['seconds_per_round'] == 1.5


def test_gain_over_random_is_paired_by_seed():
    areas = {('random', 0): 0.60, ('random', 1): 0.70, ('margin', 0): 0.62, ('margin', 1): 0.76}
    rows = [{'strategy': strategy, 'seed': seed, 'labels': n, 'accuracy': area, 'train_seconds': 1.0,
             'query_seconds': 0.0} for (strategy, seed), area in areas.items() for n in (25, 50)]
    summary = summarize(rows)
    assert summary['margin']['aulc_gain'] == pytest.approx((0.04, 0.02))  # seed 0: +0.02, seed 1: +0.06
    assert summary['random']['aulc_gain'] == (0.0, 0.0)
    assert 'aulc_gain' not in summarize([r for r in rows if r['strategy'] == 'margin'])['margin']
    assert summary_table(summary).endswith('| margin | 0.690 ± 0.070 | 0.690 ± 0.070 | +4.0 ± 2.0 | 1.0 |')


def test_stop_signal_fires_after_three_agreements_at_the_threshold():
    kappas = {0: [None, 0.95, 0.99, 0.992, 0.999, 1.0], 1: [None, 0.99, 0.95, 0.995, 0.999, 0.999]}
    rows = [{'strategy': 's', 'seed': seed, 'labels': 10 * (i + 1), 'accuracy': 0.5, 'agreement': kappa,
             'train_seconds': 1.0, 'query_seconds': 0.0} for seed, curve in kappas.items()
            for i, kappa in enumerate(curve)]
    assert summarize(rows, stop_agreement=0.99)['s']['stop_at'] == [50, 60]
    assert summarize(rows, stop_agreement=0.999)['s']['stop_at'] == [None, None]
    assert 'stop_at' not in summarize(rows)['s']
    assert summary_table(summarize(rows, stop_agreement=0.99)).endswith('| 1.0 | 50, 60 |')


def test_cli_smoke_writes_rounds_summary_and_plot(dataset, tiny_encoder, tmp_path, monkeypatch, capsys):
    texts, labels = dataset
    data = tmp_path / 'news.csv'
    with open(data, 'w', newline='') as handle:
        writer = csv.writer(handle)
        writer.writerow(['body', 'topic'])
        writer.writerows(zip(texts, labels))
    monkeypatch.setenv('BASE_MODEL', tiny_encoder)
    monkeypatch.setenv('STRATEGY', 'margin')  # without --strategies: random against $STRATEGY
    out = tmp_path / 'out'
    code = main(['simulate', '--dataset', str(data), '--text-column', 'body', '--label-column', 'topic',
                 '--initial', '8', '--batch', '8', '--budget', '16',
                 '--seeds', '1', '--pool-size', '60', '--test-size', '40', '--max-length', '32', '--epochs', '1',
                 '--rare', 'tech=0.1', '--out', str(out)])
    assert code == 0
    with open(out / 'rounds.csv') as handle:
        rounds = list(csv.DictReader(handle))
    assert [(r['strategy'], r['labels']) for r in rounds] == [('random', '8'), ('random', '16'),
                                                              ('margin', '8'), ('margin', '16')]
    summary = (out / 'summary.md').read_text()
    assert '| margin |' in summary and 'rare: tech 10 %' in summary
    assert 'Macro-F1 and the rare classes:' in summary and '| rare F1 AULC |' in summary
    assert sum(json.loads(r['class_counts'])['tech'] == int(r['rare_found']) for r in rounds) == 4
    assert json.loads((out / 'summary.json').read_text())['summary']['random']['seeds'] == 1
    assert (out / 'learning_curve.png').read_bytes()[:4] == b'\x89PNG'


def test_resume_keeps_finished_campaigns_and_reruns_a_stopped_one(dataset, news_csv, tiny_encoder, tmp_path,
                                                                   monkeypatch, capsys):
    data = news_csv(*dataset)
    monkeypatch.setenv('BASE_MODEL', tiny_encoder)
    out = tmp_path / 'out'
    args = ['simulate', '--dataset', str(data), '--initial', '8', '--batch', '8', '--budget', '16', '--seeds', '1',
            '--pool-size', '60', '--test-size', '40', '--max-length', '32', '--epochs', '1', '--full-data',
            '--out', str(out)]
    assert main([*args, '--strategies', 'random']) == 0
    random_rounds = read_rounds(out / 'rounds.csv')
    with open(out / 'rounds.csv', 'a', newline='') as handle:  # a run stopped during margin's first campaign
        csv.writer(handle).writerow(['news', 'margin', 0, 0, 8, 0.1, 0.1, '', 1.0, 1.0])
    stored = json.loads((out / 'simulation.json').read_text())
    assert 'training.image_size' not in stored['settings'], 'text folders written before images existed resume'
    # As a folder written before span labeling stores it: full_accuracy.
    (out / 'simulation.json').write_text(json.dumps({'settings': stored['settings'], 'full_accuracy': {'0': 0.5}}))

    assert main([*args, '--strategies', 'random,margin', '--resume']) == 0
    rounds = read_rounds(out / 'rounds.csv')
    assert rounds[:2] == random_rounds, 'finished campaign kept as it was, timings included'
    assert [(r['strategy'], r['labels']) for r in rounds[2:]] == [('margin', 8), ('margin', 16)]
    assert rounds[2]['accuracy'] == random_rounds[0]['accuracy'], 'same seed, same initial labels'
    assert json.loads((out / 'summary.json').read_text())['full_metric'] == 0.5, 'full-pool accuracy reused'

    with pytest.raises(SystemExit) as exit_info:
        main([*args, '--batch', '4', '--resume'])
    assert exit_info.value.code == 2
    assert 'other settings: batch was 8, now 4' in capsys.readouterr().err
    assert read_rounds(out / 'rounds.csv') == rounds

    with open(out / 'rounds.csv', 'a', newline='') as handle:  # seed 1, finished by an earlier run with --seeds 2
        csv.writer(handle).writerows([['news', 'random', 1, i, n, 0.7, 0.7, '', 1.0, 1.0]
                                      for i, n in enumerate((8, 16))])
    stored = json.loads((out / 'simulation.json').read_text())
    (out / 'simulation.json').write_text(json.dumps({**stored, 'full_metric': {'0': 0.5, '1': 0.7}}))
    assert main([*args, '--strategies', 'random,margin', '--resume']) == 0
    report = json.loads((out / 'summary.json').read_text())
    assert 'seeds 2' in report['config'] and report['full_metric'] == pytest.approx(0.6), 'every seed in the folder'
    assert report['summary']['random']['seeds'] == 2
    rounds = read_rounds(out / 'rounds.csv')

    (out / 'simulation.json').unlink()  # as an lsal that wrote no settings left it
    with pytest.raises(SystemExit) as exit_info:
        main([*args, '--resume'])
    assert exit_info.value.code == 2
    assert 'rounds.csv has no simulation.json beside it' in capsys.readouterr().err
    assert read_rounds(out / 'rounds.csv') == rounds, 'nothing already stored is lost'


@pytest.mark.parametrize('args, message', [
    (['--dataset', 'nowhere.csv'], "--dataset: 'nowhere.csv' is neither"),
    (['--strategies', 'psychic'], "strategy: unknown 'psychic'"),
    (['--strategies', 'max_entropy'], "strategy: unknown 'max_entropy'; choose one of margin"),
    (['--initial', '0'], 'need 0 < initial <= budget'),
    (['--stop-agreement', '1.5'], "--stop-agreement: expected a number in (0, 1], got '1.5'"),
    (['--rare', 'sport'], "--rare: expected CLASS=FRACTION, got 'sport'"),
])
def test_cli_bad_arguments_exit_2_with_a_message(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(['simulate', *args])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_fails_fast_before_any_training(tmp_path, monkeypatch, capsys):
    """Each refusal comes at once, as one line, with exit code 2: no hours lost to a late error."""
    def csv_file(name, labels):
        path = tmp_path / name
        path.write_text('text,label\n' + ''.join(f'text number {i},{label}\n' for i, label in enumerate(labels)))
        return str(path)
    one_class, two = csv_file('one.csv', ['sports'] * 40), csv_file('two.csv', ['sports', 'tech'] * 20)
    small = ['--test-size', '10', '--budget', '20', '--initial', '10', '--batch', '10']
    cases = [
        (['--dataset', one_class, *small], 'with 1 class(es); training needs two classes'),
        (['--dataset', two], 'dataset: 40 texts; test_size + budget need 1500'),
        (['--dataset', two, *small, '--out', str(tmp_path / 'two.csv' / 'out')], 'Not a directory'),
        (['--dataset', two, *small, '--rare', 'sport=0.1'], '--rare: unknown class(es) sport; the dataset has '
                                                            'sports, tech'),
        (['--dataset', two, *small, '--rare', 'tech=1.5'], 'rare: expected fractions between 0 and 1'),
        (['--dataset', two, *small, '--rare', 'tech=0.9'], 'rare: a test set of 10 and a pool of 30 need more '
                                                           'examples: tech has 11 left, 27 needed'),
    ]
    for args, message in cases:
        with pytest.raises(SystemExit) as exit_info:
            main(['simulate', *args])
        assert exit_info.value.code == 2
        error = capsys.readouterr().err
        assert message in error and error.count('\n') == 1, error
    monkeypatch.setitem(sys.modules, 'matplotlib', None)
    with pytest.raises(SystemExit) as exit_info:
        main(['simulate', '--dataset', two, *small, '--out', str(tmp_path / 'out')])
    assert exit_info.value.code == 2
    assert "needs matplotlib: pip install 'label-studio-active-learning[simulate]'" in capsys.readouterr().err


def test_representative_initial_set_differs_from_random_and_is_deterministic(dataset, tiny_encoder):
    from simulation.replay import initial_indices, split
    texts, labels = dataset
    config = SimulationConfig(initial=5, pool_size=60, test_size=40, budget=10, initial_strategy='representative',
                              training=FAST)
    _, pool = split(len(labels), config, 0)
    task_type = TextClassification(from_name='label', to_name='text', field='text', labels=tuple(sorted(set(labels))))
    examples = [{'task': i, 'text': text, 'choices': [label]} for i, (text, label) in enumerate(zip(texts, labels))]
    first = initial_indices(task_type, examples, pool, config, tiny_encoder, 0)
    assert first == initial_indices(task_type, examples, pool, config, tiny_encoder, 0)
    assert len(set(first)) == 5 and all(0 <= i < len(pool) for i in first)
    assert len({labels[pool[i]] for i in first}) >= 3, 'five clusters of news cover several topics'
    assert np.array_equal(sorted(first), sorted(set(first)))


def test_spans_simulate_from_a_conll_file_with_entity_f1_curves(tweets, tiny_encoder, tmp_path, monkeypatch):
    data = tmp_path / 'tweets.conll'
    lines = []
    for text, spans in tweets[:90]:
        position = 0
        for token in text.split(' '):
            tag = next((('B-' if start == position else 'I-') + label for start, end, label in spans
                        if start <= position < end), 'O')
            lines.append(f'{token}\t{tag}')
            position += len(token) + 1
        lines.append('')
    data.write_text('\n'.join(lines), encoding='utf-8')
    task_type, examples, _ = load_dataset(str(data), 'text', 'label')
    assert task_type.NAME == 'spans' and len(examples) == 90
    assert [e['text'] for e in examples[:3]] == [text for text, _ in tweets[:3]]
    monkeypatch.setenv('BASE_MODEL', tiny_encoder)
    out = tmp_path / 'out'
    assert main(['simulate', '--dataset', str(data), '--strategies', 'random,bald', '--initial', '10',
                 '--batch', '10', '--budget', '20', '--seeds', '1', '--pool-size', '50', '--test-size', '40',
                 '--max-length', '32', '--epochs', '1', '--full-data', '--target-fraction', '0.9',
                 '--out', str(out)]) == 0
    rounds = read_rounds(out / 'rounds.csv')
    assert [(r['strategy'], r['labels']) for r in rounds] == [(s, n) for s in ('random', 'bald') for n in (10, 20)]
    assert all(0 <= r['f1'] <= 1 and 0 <= r['precision'] <= 1 and 0 <= r['recall'] <= 1 for r in rounds)
    assert rounds[0]['f1'] == rounds[2]['f1'], 'same seed, same initial labels'
    assert rounds[1]['agreement'] is not None
    report = (out / 'summary.md').read_text()
    assert 'full-pool f1' in report and 'labels to 90 % of full' in report and '| bald |' in report
    assert (out / 'learning_curve.png').read_bytes()[:4] == b'\x89PNG'


def test_images_simulate_from_a_folder_per_class_and_a_csv_of_paths(digits, tmp_path):
    folder = tmp_path / 'digits'
    sample = digits[::len(digits) // 100][:100]  # every class
    for n, (path, label) in enumerate(sample):
        (folder / f'class-{label}').mkdir(parents=True, exist_ok=True)
        (folder / f'class-{label}' / f'{n}.png').write_bytes(Path(path).read_bytes())
    (folder / 'class-7' / 'broken.png').write_bytes(b'not an image')
    task_type, examples, _ = load_dataset(str(folder), 'text', 'label')
    assert task_type.NAME == 'image_classification' and len(examples) == 101
    assert task_type.labels == ('class-0', 'class-1', 'class-7')
    rows = [('image', 'label'),
            *((f'digits/class-{label}/{n}.png', label) for n, (_, label) in enumerate(sample))]
    with open(tmp_path / 'digits.csv', 'w', newline='') as handle:
        csv.writer(handle).writerows(rows)
    from_csv_type, from_csv_examples, _ = load_dataset(str(tmp_path / 'digits.csv'), 'text', 'label')
    assert from_csv_type.NAME == 'image_classification' and Path(from_csv_examples[0]['image']).is_file()
    export = [{'id': n, 'data': {'image': f'/data/upload/3/{n}.png'},
               'annotations': [{'result': [{'type': 'choices', 'value': {'choices': [label]}}]}]}
              for n, (_, label) in enumerate(sample[:5])]
    (tmp_path / 'export.json').write_text(json.dumps(export))
    from_export_type, from_export, _ = load_dataset(str(tmp_path / 'export.json'), 'text', 'label')
    assert from_export_type.NAME == 'image_classification' and from_export[4]['image'] == '/data/upload/3/4.png'

    out = tmp_path / 'out'
    assert main(['simulate', '--dataset', str(folder), '--strategies', 'random,margin,coreset',
                 '--initial-strategy', 'representative', '--initial', '10', '--batch', '10', '--budget', '20',
                 '--seeds', '1', '--pool-size', '50', '--test-size', '40', '--image-size', '32', '--epochs', '1',
                 '--out', str(out)]) == 0
    rounds = read_rounds(out / 'rounds.csv')
    assert [(r['strategy'], r['labels']) for r in rounds] == [(s, n) for s in ('random', 'margin', 'coreset')
                                                              for n in (10, 20)]
    assert all(0 <= r['accuracy'] <= 1 for r in rounds)
    assert rounds[0]['accuracy'] == rounds[2]['accuracy'] == rounds[4]['accuracy'], 'same seed, same first labels'
    assert 'digits: 100 images, pool 50' in (out / 'summary.md').read_text()


def test_boxes_simulate_from_scenes_a_coco_file_and_an_export_with_map_curves(scenes, tmp_path):
    paths, boxes = scenes
    coco = {'images': [{'id': n, 'file_name': path, 'width': 128, 'height': 128} for n, path in enumerate(paths)],
            'categories': [{'id': d, 'name': str(d)} for d in range(10)],
            'annotations': [{'id': 1000 * n + k, 'image_id': n, 'category_id': int(label), 'iscrowd': 0,
                             'bbox': [x * 1.28, y * 1.28, w * 1.28, h * 1.28]}
                            for n, found in enumerate(boxes) for k, (x, y, w, h, label) in enumerate(found)]}
    (tmp_path / 'coco.json').write_text(json.dumps(coco))
    task_type, examples, _ = load_dataset(str(tmp_path / 'coco.json'), 'text', 'label')
    assert task_type.NAME == 'object_detection' and len(examples) == len(paths)
    assert [[box[4] for box in e['boxes']] for e in examples] == [[box[4] for box in found] for found in boxes]
    assert examples[3]['boxes'][0][:4] == pytest.approx(list(boxes[3][0][:4]), abs=1e-3)
    export = [{'id': n, 'data': {'image': path}, 'annotations': [{'result': [
        {'from_name': 'b', 'to_name': 'i', 'type': 'rectanglelabels',
         'value': {'x': x, 'y': y, 'width': w, 'height': h, 'rectanglelabels': [label]}}
        for x, y, w, h, label in found]}]} for n, (path, found) in enumerate(zip(paths[:5], boxes))]
    (tmp_path / 'export.json').write_text(json.dumps(export))
    from_export_type, from_export, _ = load_dataset(str(tmp_path / 'export.json'), 'text', 'label')
    assert from_export_type.NAME == 'object_detection' and from_export[4]['image'] == paths[4]

    pool = [i for i, e in enumerate(examples) if e['boxes']][:40]
    noisy, flipped = flip_labels(task_type, examples, pool, 0.25, 0)
    assert len(flipped) == 10
    for i in flipped:
        changed = [(a, b) for a, b in zip(examples[i]['boxes'], noisy[i]['boxes']) if a != b]
        assert len(changed) == 1 and changed[0][0][:4] == changed[0][1][:4], 'one box, its label only'

    out = tmp_path / 'out'
    assert main(['simulate', '--dataset', str(tmp_path / 'coco.json'), '--strategies', 'random,consistency',
                 '--initial', '10', '--batch', '10', '--budget', '20', '--seeds', '1', '--pool-size', '60',
                 '--test-size', '40', '--image-size', '32', '--epochs', '1', '--flip-fraction', '0.1',
                 '--out', str(out)]) == 0
    rounds = read_rounds(out / 'rounds.csv')
    assert [(r['strategy'], r['labels']) for r in rounds] == [(s, n) for s in ('random', 'consistency')
                                                              for n in (10, 20)]
    assert all(0 <= r['map'] <= r['map_50'] <= 1 for r in rounds)
    assert [r['flipped'] for r in rounds[::2]] == [0, 0], 'no version has seen the first labels'
    assert all(r['flipped'] <= 10 and r['suspects'] >= 0 for r in rounds[1::2])
    assert rounds[0]['map_50'] == rounds[2]['map_50'], 'same seed, same first labels'
    assert 'coco: 120 images, pool 60' in (out / 'summary.md').read_text()


def test_flipped_labels_are_judged_each_round(news, tiny_encoder):
    task_type, examples = news
    config = SimulationConfig(initial=20, batch=10, budget=40, seeds=(0,), strategies=('margin',), pool_size=60,
                              test_size=40, training=FAST, flip_fraction=0.2)
    rows, = campaigns(task_type, examples, tiny_encoder, config)
    test, pool = split(len(examples), config, 0)
    noisy, flipped = flip_labels(task_type, examples, pool, 0.2, 0)
    assert len(flipped) == 12 and flipped <= set(pool.tolist()), 'a fifth of the pool, never the test set'
    assert all(noisy[i]['choices'] != examples[i]['choices'] for i in flipped)
    assert flip_labels(task_type, examples, pool, 0.2, 0)[1] == flipped, 'reproducible'
    for row in rows:
        assert 0 < row['flipped'] <= 12 and row['suspects'] >= 0
        assert 0 <= row['suspect_precision'] <= 1 and row['suspect_precision'] <= row['suspect_recall'] <= 1
    assert all(row['left_out'] == 0 for row in rows), 'LEAVE_OUT_BELOW off by default'
    pruned, = campaigns(task_type, examples, tiny_encoder, replace(config, leave_out_below=0.9))
    assert any(row['left_out'] for row in pruned) and all(row['left_out'] <= row['suspects'] for row in pruned)
    # One weak model on 20-40 labels: the flipped labels still sit lower than chance would put them.
    assert np.mean([row['suspect_recall'] for row in rows]) > 2 * np.mean([row['flipped'] / row['labels']
                                                                            for row in rows])


def test_spans_flip_an_entity_type_and_are_judged_from_the_second_round(tweets, tiny_encoder):
    task_type = SpanLabeling(from_name='ner', to_name='text', field='text',
                             labels=('Person', 'Place', 'Organisation', 'Misc'))
    examples = [{'task': i, 'text': text, 'spans': [list(span) for span in spans]}
                for i, (text, spans) in enumerate(tweets[:150])]
    config = SimulationConfig(initial=10, batch=10, budget=30, seeds=(0,), strategies=('margin',), pool_size=100,
                              test_size=40, training=replace(FAST, learning_rate=1e-4), flip_fraction=0.1)
    test, pool = split(len(examples), config, 0)
    noisy, flipped = flip_labels(task_type, examples, pool, 0.1, 0)
    assert len(flipped) == 10 and all(examples[i]['spans'] for i in flipped), 'only texts with an entity'
    for i in flipped:
        changed = [(a, b) for a, b in zip(examples[i]['spans'], noisy[i]['spans']) if a != b]
        assert len(changed) == 1 and changed[0][0][:2] == changed[0][1][:2], 'one entity, its type only'
    rows, = campaigns(task_type, examples, tiny_encoder, config)
    assert rows[0]['flipped'] == 0 and rows[0]['suspect_precision'] is None, 'no version has seen the first labels'
    for row in rows[1:]:
        assert row['flipped'] <= row['labels'] - config.initial and row['suspects'] >= 0
    with pytest.raises(ValueError, match='only'):
        flip_labels(task_type, examples, pool, 0.9, 0)


def test_judge_by_hand():
    task_type = TextClassification(from_name='label', to_name='text', field='text', labels=('a', 'b'))
    examples = [{'task': i, 'text': 't', 'choices': [label]} for i, label in enumerate('aabbab')]
    # Probability of the given label: 0.9, 0.2, 0.8, 0.3, 0.9, 0.6: lowest first are 1, 3, 5.
    outputs = [[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.7, 0.3], [0.9, 0.1], [0.4, 0.6]]
    found, left_out = judge(task_type, examples, outputs, [False, True, False, False, False, True])
    assert found['flipped'] == 2
    assert found['suspect_precision'] == 0.5, 'of the two lowest (1, 3), one flipped'
    assert found['suspect_recall'] == 1.0, 'both among the four lowest'
    assert left_out == [] and found['left_out'] == 0


def test_judge_leaves_out_the_suspects_below_the_threshold():
    task_type = TextClassification(from_name='label', to_name='text', field='text', labels=('a', 'b'))
    examples = [{'task': i, 'text': 't', 'choices': [label]} for i, label in enumerate('a' * 9 + 'b' * 9 + 'ab')]
    # 18 is given a where the model is sure of b (quality 0.05); 19 is given b, the model unsure (0.6).
    outputs = [[0.95, 0.05]] * 9 + [[0.05, 0.95]] * 9 + [[0.05, 0.95], [0.4, 0.6]]
    flipped = [i == 18 for i in range(20)]
    found, left_out = judge(task_type, examples, outputs, flipped, leave_out_below=0.25)
    assert left_out == [18] and found['suspects'] == 1 and found['left_out_flipped'] == 1
    assert judge(task_type, examples, outputs, flipped)[1] == [], 'nothing left out by default'


def test_rare_class_rounds_count_the_classes_picked(news, tiny_encoder):
    task_type, examples = news
    config = SimulationConfig(initial=6, batch=4, budget=14, seeds=(0,), strategies=('margin',), pool_size=60,
                              test_size=40, training=FAST, rare=(('sports', 0.1),))
    rows, = campaigns(task_type, examples, tiny_encoder, config)
    test, pool = split(len(examples), config, 0, [e['choices'][0] for e in examples])
    assert sum(examples[i]['choices'] == ['sports'] for i in pool) == 6
    for row in rows:
        counts = json.loads(row['class_counts'])
        assert list(counts) == list(task_type.labels) and sum(counts.values()) == row['labels']
        assert row['rare_found'] == counts['sports'] <= 6
        assert 0 <= row['rare_f1'] <= 1 and 0 <= row['rare_recall'] <= 1
    assert [r['rare_found'] for r in rows] == sorted(r['rare_found'] for r in rows)


def test_label_studio_cluster_order_spreads_a_round_over_the_predicted_classes(news, tiny_encoder):
    task_type, examples = news
    config = SimulationConfig(initial=6, batch=10, budget=16, seeds=(0,), strategies=('margin',), pool_size=60,
                              test_size=40, training=FAST)
    plain, = campaigns(task_type, examples, tiny_encoder, config)
    clustered, = campaigns(task_type, examples, tiny_encoder, replace(config, clusters=True))
    assert plain[0] == {**clustered[0], 'train_seconds': plain[0]['train_seconds'],
                        'query_seconds': plain[0]['query_seconds']}, 'same first round'
    assert plain[1]['class_counts'] != clustered[1]['class_counts'], 'another batch'

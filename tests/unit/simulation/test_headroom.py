from benchmarks.headroom import ceiling_rows


def _row(strategy, seed, labels, accuracy, macro_f1):
    return {'strategy': strategy, 'seed': seed, 'labels': labels, 'accuracy': accuracy, 'macro_f1': macro_f1}


def test_the_ceiling_keeps_randoms_first_round_then_each_seeds_best_figure_within_the_budget():
    rows = [_row('random', 0, 25, 0.5, 0.4), _row('random', 0, 50, 0.6, 0.5), _row('random', 0, 75, 0.7, 0.6),
            _row('margin', 0, 25, 0.5, 0.4), _row('margin', 0, 50, 0.8, 0.65), _row('margin', 0, 75, 0.99, 0.99),
            _row('random', 1, 25, 0.3, 0.2), _row('random', 1, 50, 0.4, 0.3), _row('random', 1, 75, 0.45, 0.35)]
    ceiling = ceiling_rows(rows, budget=50)
    assert [(r['seed'], r['labels'], r['accuracy'], r['macro_f1']) for r in ceiling] == [
        (0, 25, 0.5, 0.4), (0, 50, 0.8, 0.65), (1, 25, 0.3, 0.2), (1, 50, 0.4, 0.3)]
    assert {r['strategy'] for r in ceiling} == {'ceiling'}

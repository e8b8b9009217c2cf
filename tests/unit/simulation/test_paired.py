from benchmarks.paired import main, random_rows, strategy_rows


def _csv(path, lines):
    path.write_text('strategy,seed,round,labels,accuracy\n' + ''.join(f'{line}\n' for line in lines))
    return str(path)


def test_random_rounds_come_from_the_first_file_that_has_them_and_stop_at_the_budget(tmp_path):
    rerun = _csv(tmp_path / 'a.csv', ['random,0,0,25,0.8', 'random,0,1,50,0.85'])
    older = _csv(tmp_path / 'b.csv', ['random,0,0,25,0.7', 'random,0,1,50,0.75', 'random,0,2,75,0.9',
                                      'random,0,3,100,0.95', 'margin,0,2,75,0.99'])
    rows = random_rows([rerun, older], budget=75)
    assert sorted((r['labels'], r['accuracy']) for r in rows) == [(25, 0.8), (50, 0.85), (75, 0.9)]


def test_a_labeled_entry_names_its_strategies_and_leaves_random_out(tmp_path):
    path = _csv(tmp_path / 'c.csv', ['random,0,0,25,0.7', 'margin,0,0,25,0.8', 'margin,0,1,50,0.9'])
    assert [(r['strategy'], r['labels']) for r in strategy_rows(f'as served={path}', budget=200)] == [
        ('margin (as served)', 25), ('margin (as served)', 50)]
    assert [r['strategy'] for r in strategy_rows(path, budget=25)] == ['margin']


def test_spans_are_paired_on_their_f1(tmp_path, capsys):
    path = tmp_path / 'spans.csv'
    rounds = ['random,0,0,25,0.1', 'random,0,1,75,0.3', 'margin,0,0,25,0.1', 'margin,0,1,75,0.4']
    path.write_text('strategy,seed,round,labels,f1,train_seconds,query_seconds\n'
                    + ''.join(f'{r},1.0,1.0\n' for r in rounds))
    main(['--budget', '75', '--random', str(path), '--runs', f'as served={path}', '--metric', 'f1'])
    table = capsys.readouterr().out
    assert 'margin (as served)' in table and '+5.0' in table, table

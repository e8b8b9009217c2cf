"""``lsal simulate``: replay the loop on a labeled dataset and report learning curves."""
import argparse
import csv
import hashlib
import json
from dataclasses import asdict
from pathlib import Path

from tqdm import tqdm

from model.acquisition import MC_PASSES
from model.spans import clean_spans
from model.task_types import (
    STRATEGY_NAMES,
    ImageClassification,
    ObjectDetection,
    Reader,
    SpanLabeling,
    TextClassification,
)
from simulation.datasets import (
    DATASETS,
    SPAN_DATASETS,
    export_has_spans,
    from_conll,
    from_csv,
    from_image_folder,
    from_label_studio_export,
    mnist,
    spans_from_label_studio_export,
)
from simulation.detection_datasets import boxes_from_label_studio_export, export_has_boxes, from_coco, mnist_boxes
from simulation.exceptions import SimulationError, SimulationInputError
from simulation.replay import (
    TARGET_FRACTION,
    SimulationConfig,
    campaigns,
    full_pool_metric,
    rounds_per_run,
    split_of,
    summarize,
)
from simulation.report import check_plotting, classes_table, plot_curves, summary_table, suspects_table
from simulation.results import ResultsFolder, round_fields
from strategies import STOP_WINDOW, StrategyError, agreement_threshold, check_strategy

IMAGE_DATASETS = {'mnist': mnist}
"""Built-in image sets: a function of the folder they are rendered into."""

BOX_DATASETS = {'mnist_boxes': mnist_boxes}
"""Built-in detection sets: a function of the folder they are rendered into."""

DATASET_CACHE = Path.home() / '.cache' / 'lsal' / 'datasets'
"""Where built-in image sets are rendered as files."""

DEFAULT_OUT = 'simulation-results'
"""The output folder unless ``--out`` names one."""


def add_simulate_parser(commands):
    command = commands.add_parser(
        'simulate', help='replay active learning on a labeled dataset and compare strategies',
        description='Replay the loop on an already-labeled dataset: a simulated annotator labels the '
                    'lowest-scored texts each round. Writes rounds.csv, summary.md, summary.json and '
                    'learning_curve.png into --out.')
    command.add_argument('--dataset', default='bbc_news',
                         help=f'{", ".join(DATASETS)} (classes), {", ".join(SPAN_DATASETS)} (spans), '
                              f'{", ".join(IMAGE_DATASETS)} (images), {", ".join(BOX_DATASETS)} (boxes), a CSV '
                              'file (classes of texts, or of images with an --image-column), a Label Studio JSON '
                              'export (classes, spans or boxes; images with an --image-column field), a COCO JSON '
                              'file (boxes), a CoNLL/BIO file (spans), or a folder of images with one sub-folder '
                              'per class')
    command.add_argument('--text-column', default='text', help='CSV column (or export data field) with the text')
    command.add_argument('--image-column', default='image',
                         help='CSV column (or export data field) with an image path or URL')
    command.add_argument('--image-size', type=int, help='side in pixels images are read at (default: IMAGE_SIZE)')
    command.add_argument('--label-column', default='label', help='CSV column with the label')
    command.add_argument('--strategies', help=f'comma-separated, from: {", ".join(STRATEGY_NAMES)} '
                                              '(default: random and $STRATEGY, else the task type\'s default)')
    command.add_argument('--initial', type=int, default=25, help='labels before the first model')
    command.add_argument('--initial-strategy', default='random', choices=('random', 'representative'))
    command.add_argument('--batch', type=int, default=25, help='labels added per round')
    command.add_argument('--budget', type=int, default=500, help='stop at this many labels')
    command.add_argument('--seeds', type=int, default=3, help='runs per strategy (seeds 0..N-1)')
    command.add_argument('--pool-size', type=int, default=4000)
    command.add_argument('--test-size', type=int, default=1000)
    command.add_argument('--max-length', type=int, default=64, help='tokens per text')
    command.add_argument('--epochs', type=int, help='passes over the labels (default: the task type\'s recipe)')
    command.add_argument('--learning-rate', type=float,
                         help='of the encoder; the fresh head learns faster (default: the task type\'s recipe)')
    command.add_argument('--full-data', action=argparse.BooleanOptionalAction, default=False,
                         help='also train on the whole pool (the ceiling, and labels to reach a fraction of it)')
    command.add_argument('--target-fraction', type=float, default=TARGET_FRACTION,
                         help='the fraction of the full-pool metric the "labels to" column counts to')
    command.add_argument('--mc-passes', type=int, default=MC_PASSES, help='stochastic passes for bald')
    command.add_argument('--bf16', action='store_true',
                         help='bfloat16 inference (faster only on CPUs with AMX; much slower without)')
    command.add_argument('--stop-agreement', type=_threshold, default=None,
                         help='kappa for the stop-signal column (default: STOP_AGREEMENT, 0.99)')
    command.add_argument('--flip-fraction', type=float, default=0.0,
                         help='make this share of the pool\'s labels wrong before the run (reproducibly per seed), '
                              'and report each round how well the labels judged most likely wrong find them')
    command.add_argument('--leave-out-below', type=float, default=0.0,
                         help='with --flip-fraction: train each round without the suspects judged the round before '
                              'of quality below this, as LEAVE_OUT_BELOW does (0: keep every label)')
    command.add_argument('--rare', action='append', type=_rare, default=[], metavar='CLASS=FRACTION',
                         help='cut CLASS to FRACTION of the pool and of the test set (e.g. sport=0.03; repeat for '
                              'more classes), and report how many of its examples each strategy finds')
    command.add_argument('--label-studio-clusters', action='store_true',
                         help='label each round the tasks Label Studio serves one at a time when predictions carry '
                              'a cluster (the predicted class): the least-solved cluster first, then the lowest score')
    command.add_argument('--out', default=DEFAULT_OUT, help='output folder')
    command.add_argument('--resume', action='store_true',
                         help='keep the campaigns an earlier run with the same settings finished in --out '
                              'and run only the others; the report covers every campaign there')


def _threshold(value):
    try:
        return agreement_threshold(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _rare(value):
    name, equals, fraction = value.rpartition('=')
    try:
        if not (name and equals):
            raise ValueError
        return name, float(fraction)
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected CLASS=FRACTION, got {value!r}') from None


def load_dataset(name, text_column, label_column, image_column='image'):
    """The task type, training examples and a fingerprint of ``--dataset``.

    A bundled name, a folder of class folders (images), a ``.csv`` file
    (images if it has ``image_column``, else texts), a COCO ``.json`` file
    (boxes), a Label Studio ``.json`` export (boxes if it holds
    ``rectanglelabels`` results, spans if ``labels`` ones, images if its tasks
    hold ``image_column``, else classes of texts), or any other file as
    CoNLL/BIO (spans).
    """
    if name in DATASETS:
        return _classification(*DATASETS[name]())
    if name in SPAN_DATASETS:
        return _spans(*SPAN_DATASETS[name]())
    if name in IMAGE_DATASETS:
        return _images(*IMAGE_DATASETS[name](DATASET_CACHE))
    if name in BOX_DATASETS:
        return _boxes(*BOX_DATASETS[name](DATASET_CACHE))
    path = Path(name)
    if path.is_dir():
        return _images(*from_image_folder(path))
    if not path.is_file():
        raise SimulationInputError(f'--dataset: {name!r} is neither '
                                   f'{" nor ".join([*DATASETS, *SPAN_DATASETS, *IMAGE_DATASETS, *BOX_DATASETS])} '
                                   'nor a file or folder')
    field = text_column if text_column != 'text' else None
    if path.suffix.lower() == '.json':
        if _is_coco(path):
            return _boxes(*from_coco(path))
        if export_has_boxes(path):
            image_field = image_column if image_column != 'image' else None
            return _boxes(*boxes_from_label_studio_export(path, image_field=image_field))
        if export_has_spans(path):
            return _spans(*spans_from_label_studio_export(path, text_field=field))
        if _export_field(path) == image_column:
            return _images(*from_label_studio_export(path, text_field=image_column))
        return _classification(*from_label_studio_export(path, text_field=field))
    if path.suffix.lower() == '.csv':
        with open(path, newline='', encoding='utf-8') as handle:
            header = next(csv.reader(handle), [])
        if image_column in header:
            images, labels = from_csv(path, image_column, label_column)
            return _images([str(path.parent / image) if '://' not in image else image for image in images], labels)
        return _classification(*from_csv(path, text_column, label_column))
    return _spans(*from_conll(path))


def _is_coco(path):
    """Whether a ``.json`` file is a COCO detection file (an object with images and annotations)."""
    data = json.loads(Path(path).read_text(encoding='utf-8'))
    return isinstance(data, dict) and 'images' in data and 'annotations' in data


def _export_field(path):
    """The data field of the first task of a Label Studio export that names it alone, else None."""
    tasks = json.loads(Path(path).read_text(encoding='utf-8'))
    data = tasks[0].get('data') if isinstance(tasks, list) and tasks and isinstance(tasks[0], dict) else None
    return next(iter(data)) if isinstance(data, dict) and len(data) == 1 else None


def _classification(texts, labels):
    task_type = TextClassification(from_name='label', to_name='text', field='text', labels=tuple(sorted(set(labels))))
    examples = [{'task': i, 'text': text, 'choices': [label]} for i, (text, label) in enumerate(zip(texts, labels))]
    return task_type, examples, _fingerprint(texts, labels)


def _images(images, labels):
    task_type = ImageClassification(from_name='label', to_name='image', field='image',
                                    labels=tuple(sorted(set(labels))))
    examples = [{'task': i, 'image': image, 'choices': [label]} for i, (image, label) in enumerate(zip(images, labels))]
    return task_type, examples, _fingerprint([Path(image).name for image in images], labels)


def _boxes(images, boxes):
    """Boxes as the backend keeps an annotation's (percent ``x, y, width, height, label``)."""
    task_type = ObjectDetection(from_name='label', to_name='image', field='image',
                                labels=tuple(sorted({box[4] for image_boxes in boxes for box in image_boxes})))
    examples = [{'task': i, 'image': image, 'boxes': [list(box) for box in image_boxes], 'dropped': 0, 'clipped': 0}
                for i, (image, image_boxes) in enumerate(zip(images, boxes))]
    return task_type, examples, _fingerprint([Path(image).name for image in images], boxes)


def _spans(texts, spans, labels):
    """Spans cleaned as the backend cleans an annotation's (trimmed, no overlaps)."""
    task_type = SpanLabeling(from_name='label', to_name='text', field='text', labels=tuple(labels))
    examples = [{'task': i, 'text': text, 'spans': [list(span) for span in clean_spans(text, text_spans)[0]]}
                for i, (text, text_spans) in enumerate(zip(texts, spans))]
    return task_type, examples, _fingerprint(texts, spans)


def _fingerprint(texts, targets):
    return hashlib.sha256(json.dumps([texts, targets]).encode()).hexdigest()


def run_simulation(settings, args, fetch=None, extra_runs=()):
    """Entry point of ``lsal simulate``.

    ``settings`` are the backend's (``image_size``, ``strategy``,
    ``stop_agreement`` and ``weight(name)`` are read). ``fetch(value, task_id)``
    gives the local path of an image a dataset names by URL; None: every image
    is a local path. ``extra_runs`` are callables like :func:`~simulation.replay.campaigns` with
    a ``strategies`` attribute (the names their rows carry) and a
    ``task_types`` one (the names of the types they can run); their campaigns
    join the same report (the benchmark adds small-text this way).
    """
    try:
        check_plotting()
        task_type, examples, fingerprint = load_dataset(args.dataset, args.text_column, args.label_column,
                                                        args.image_column)
        image_size = args.image_size or settings.image_size
        examples, unreadable = task_type.loaded(examples, Reader(fetch=fetch, image_size=image_size))
        if unreadable:
            print(f'{len(unreadable)} example(s) left out, first: {unreadable[0]}')
        reason = task_type.untrainable(examples)
        if reason:
            raise SimulationInputError(f'--dataset: {reason}')
        strategies = args.strategies or f'random,{settings.strategy or task_type.DEFAULT_STRATEGY}'
        chosen = tuple(check_strategy(s.strip(), task_type.STRATEGIES) for s in strategies.split(',') if s.strip())
        config = SimulationConfig(
            initial=args.initial, batch=args.batch, budget=args.budget, seeds=tuple(range(args.seeds)),
            strategies=chosen,
            pool_size=args.pool_size, test_size=args.test_size, initial_strategy=args.initial_strategy,
            training=task_type.training_config(max_length=args.max_length, epochs=args.epochs,
                                               learning_rate=args.learning_rate, image_size=image_size),
            bf16=args.bf16,
            mc_passes=args.mc_passes, flip_fraction=args.flip_fraction, leave_out_below=args.leave_out_below,
            rare=tuple(args.rare), clusters=args.label_studio_clusters)
        if config.flip_fraction and not (task_type.FINDS_LABEL_ISSUES and task_type.FLIPS_LABELS):
            raise SimulationInputError(f'--flip-fraction: the simulator cannot make {task_type.NAME} labels wrong '
                                       f'and judge them yet')
        counted = task_type.class_of(examples[0]) is not None
        if config.rare and not counted:
            raise SimulationInputError(f'--rare: needs one class per example, which {task_type.NAME} has not')
        unknown = [name for name, _ in config.rare if name not in task_type.labels]
        if unknown:
            raise SimulationInputError(f'--rare: unknown class(es) {", ".join(unknown)}; the dataset has '
                                       f'{", ".join(task_type.labels)}')
        config.check_size(len(examples))
        split_of(task_type, examples, config, seed=0)  # the quotas do not depend on the seed
        name = Path(args.dataset).stem
        rounds = rounds_per_run(config)
        base_model = settings.weight(task_type.BASE_MODEL)
        folder = ResultsFolder(args.out, _campaign_settings(name, fingerprint, base_model, config, task_type),
                               rounds, round_fields(task_type.CURVE_METRICS, bool(config.flip_fraction), counted,
                                                    bool(config.rare)),
                               resume=args.resume)
    except (SimulationError, StrategyError, ValueError, ModuleNotFoundError) as error:
        raise SimulationInputError(str(error)) from None
    except OSError as error:  # a dataset it cannot read, an --out it cannot write
        raise SimulationInputError(f'{error.filename}: {error.strerror}') from None
    extra_runs = [runs for runs in extra_runs if task_type.NAME in runs.task_types]
    names = [*config.strategies, *(strategy for runs in extra_runs for strategy in runs.strategies)]
    planned = {(strategy, seed) for strategy in names for seed in config.seeds}
    with tqdm(total=len(planned) * rounds, initial=len(planned & folder.done) * rounds, desc=f'simulate {name}',
              unit='round') as bar:
        for runs in (campaigns, *extra_runs):
            for rows in runs(task_type, examples, base_model, config, skip=folder.done,
                             progress=bar.update):
                folder.add_campaign([{'dataset': name, **row} for row in rows])
    # The report covers every campaign in the folder, so also seeds that an earlier run added.
    seeds = sorted(set(config.seeds) | {seed for _, seed in folder.done})
    full = None
    if args.full_data:
        for seed in seeds:
            if seed not in folder.full_metric:
                folder.add_full_metric(seed, full_pool_metric(task_type, examples, base_model, config, seed))
        full = sum(folder.full_metric[seed] for seed in seeds) / len(seeds)
    stop_agreement = settings.stop_agreement if args.stop_agreement is None else args.stop_agreement
    _write_report(folder, config, name, f'{len(examples)} {task_type.INPUT}s', len(seeds), task_type.METRIC, full,
                  args.target_fraction, stop_agreement)
    return 0


def _campaign_settings(name, data, base_model, config, task_type):
    """What shapes a campaign's rounds besides its strategy and seed; ``--resume`` checks it is unchanged.

    The image side is left out where no images are read, so text results written before it existed resume.
    """
    training = {f'training.{key}': value for key, value in asdict(config.training).items()
                if key != 'image_size' or task_type.INPUT == 'image'}
    return {'dataset': name, 'data_sha256': data, 'base_model': base_model, 'initial': config.initial,
            'initial_strategy': config.initial_strategy, 'batch': config.batch, 'budget': config.budget,
            'pool_size': config.pool_size, 'test_size': config.test_size, 'bf16': config.bf16,
            'mc_passes': config.mc_passes, **training,
            **({'flip_fraction': config.flip_fraction, 'leave_out_below': config.leave_out_below}
               if config.flip_fraction else {}),
            **({'rare': [list(pair) for pair in config.rare]} if config.rare else {}),
            **({'label_studio_clusters': True} if config.clusters else {})}


def _write_report(folder, config, name, size, num_seeds, metric, full, target_fraction, stop_agreement):
    """summary.md, summary.json and learning_curve.png of every campaign in ``folder``."""
    summary = summarize(folder.rows, metric=metric, full_metric=full, target_fraction=target_fraction,
                        stop_agreement=stop_agreement)
    table = summary_table(summary, metric, target_fraction)
    classes = classes_table(summary)
    if classes:
        table += f'\n\nMacro-F1{" and the rare classes" if config.rare else ""}:\n\n{classes}'
    judged = suspects_table(summary)
    if judged:
        table += ('\n\nLabels judged most likely wrong against the flipped ones (precision among the k of lowest '
                  f'quality, k the flipped labels so far; recall within 2k):\n\n{judged}')
    header = f'{name}: {size}, pool {config.pool_size}, test {config.test_size}, ' \
             f'initial {config.initial} ({config.initial_strategy}), batch {config.batch}, ' \
             f'budget {config.budget}, seeds {num_seeds}'
    if config.clusters:
        header += '; served in Label Studio\'s cluster order'
    if config.rare:
        header += '; rare: ' + ', '.join(f'{name} {100 * fraction:g} %' for name, fraction in config.rare)
    if full is not None:
        header += f'; full-pool {metric} {full:.3f}'
    header += f'; stop signal: {STOP_WINDOW} consecutive agreements >= {stop_agreement}'
    (folder.path / 'summary.md').write_text(f'{header}\n\n{table}\n', encoding='utf-8')
    (folder.path / 'summary.json').write_text(
        json.dumps({'config': header, 'metric': metric, 'full_metric': full, 'summary': summary}, indent=2),
        encoding='utf-8')
    plot_curves(folder.rows, folder.path / 'learning_curve.png', name, metric=metric, full_metric=full)
    print(f'{header}\n\n{table}\n\nwrote {folder.path}/rounds.csv, summary.md, summary.json, learning_curve.png')

"""The label-quality job: which labels are probably wrong, and how well annotators agree.

Each annotation is judged by out-of-sample predictions of its task, by models that never trained on it:

- ``held_out``: the current version's, on the tasks its training held out; else
- ``pool``: the prediction of the last version that scored the task while it was unlabeled (kept at
  re-scoring, so it costs nothing);
- and, for the task types that can (classification), two cross-validations over at most
  :data:`MAX_CROSS_VALIDATED` labeled tasks, those without another prediction first:
  ``cross_validation``, a logistic regression on the pretrained encoder's embeddings fitted on the other
  folds, and ``tuned_cross_validation``, the same on the current version's embeddings (the version trained
  on the labels; the regression that judges one never saw it). The bound on this job's time: two embedding
  passes over those tasks and ten small fits. Boxes are judged by a version's predictions only.

Where a task has several of these, their probabilities are averaged (``source`` names them, such as
``pool+cross_validation+tuned_cross_validation``): one weak judge does not decide alone.

Confident learning (``cleanlab``) then ranks the annotations; the agreement figures come from
:mod:`model.annotator_agreement`.
"""
import logging
import time
from collections import Counter

import numpy as np
from rq import get_current_job

from backend.context import Context
from backend.label_studio import LabelStudioProject
from model import ModelNotFoundError, in_holdout
from model.annotator_agreement import agreement_report
from model.consensus import consensus
from model.label_quality import averaged

logger = logging.getLogger(__name__)

MIN_LABELS = 20
"""Labeled tasks below which no label is judged (too few for a model, or folds, to judge them)."""

MAX_CROSS_VALIDATED = 5000
"""Labeled tasks at most in the cross-validation; annotations of tasks beyond it without another
out-of-sample prediction are not judged (counted in ``not_judged``)."""

MAX_SUSPECTS = 1000
"""Suspect annotations kept in a report, most likely wrong first."""


def assess_quality(project_id):
    """Compute and keep the project's label-quality report (see :func:`quality_report`); show its suspect
    tasks in the Label Studio Data Manager tab ``REVIEW_TAB`` where Label Studio is reachable."""
    ctx = Context.for_current_job()
    project = ctx.project(project_id)
    project.forget_job('quality_job', get_current_job().id)
    report = quality_report(ctx, project)
    project.save_quality(report)  # answered by /quality even if Label Studio is away for the tab
    if ctx.settings.label_studio_enabled and ctx.settings.review_tab:
        tasks = list(dict.fromkeys(suspect['task'] for suspect in report['suspects']))
        label_studio = LabelStudioProject.for_project(ctx, project)
        tab = label_studio.show_tasks(ctx.settings.review_tab, tasks, project.review_tab())
        project.set_review_tab(tab)
        report['review_tab'] = {'id': tab, 'title': ctx.settings.review_tab, 'tasks': len(tasks)}
        project.save_quality(report)
    logger.info('Project %s: %d suspect labels of %d judged (%.1fs)', project.id, len(report['suspects']),
                report['judged'], report['seconds'])
    return {key: report[key] for key in ('version', 'judged', 'seconds', 'reason') if key in report}


def quality_report(ctx, project):
    """The report ``/quality`` answers: ``suspects`` (most likely wrong first; each with ``task``,
    ``annotation``, ``annotator``, ``given``, ``suggested``, ``quality`` and the ``source`` of its
    out-of-sample prediction), ``agreement``, how many annotations were judged and by which source, and when
    and on which version it was computed; ``reason`` when no label could be judged."""
    started = time.monotonic()
    task_type = ctx.task_type(project)
    version = project.current_version()
    report = {'computed_at': time.time(), 'version': version, 'suspects': [], 'judged': 0, 'sources': {},
              'agreement': None}
    if task_type is None:
        return {**report, 'reason': 'no label config seen yet', 'seconds': 0.0}
    annotations = [e for e in project.annotations() if task_type.holds(e)]
    labeled = consensus(task_type, annotations)
    report.update(annotations=len(annotations), tasks=len(labeled))
    outputs = {}
    if not task_type.FINDS_LABEL_ISSUES:
        report['reason'] = f'finding label errors is not available for {task_type.NAME} yet'
    elif len(labeled) < MIN_LABELS:
        report['reason'] = f'{len(labeled)} labeled tasks; labels are judged from {MIN_LABELS} on'
    else:
        outputs = _out_of_sample(ctx, project, task_type, version, labeled)
        report.update(_suspects(task_type, annotations, outputs))
    several = {e['task']: task_type.label_key(e) for e in labeled if e['num_annotations'] > 1}
    report['agreement'] = agreement_report(
        [(e.get('annotator'), e['task'], task_type.label_key(e)) for e in annotations], several,
        report.pop('model_labels', {}))
    return {**report, 'seconds': round(time.monotonic() - started, 2)}


def _suspects(task_type, annotations, outputs):
    judged = [e for e in annotations if e['task'] in outputs]
    if not judged:
        return {'reason': 'no out-of-sample prediction of any labeled task'}
    quality, issue, suggested = task_type.label_issues([outputs[e['task']][0] for e in judged], judged)
    sources = dict(Counter(outputs[e['task']][1] for e in judged))
    ranked = sorted(np.flatnonzero(issue), key=lambda i: quality[i])
    suspects = [{'task': judged[i]['task'], 'annotation': judged[i]['annotation'],
                 'annotator': judged[i].get('annotator'), 'given': judged[i][task_type.TARGET],
                 'suggested': suggested[i], 'quality': round(float(quality[i]), 4),
                 'source': outputs[judged[i]['task']][1], 'source_version': outputs[judged[i]['task']][2]}
                for i in ranked[:MAX_SUSPECTS]]
    model_labels = {e['task']: task_type.label_key({task_type.TARGET: s}) for e, s in zip(judged, suggested)}
    return {'suspects': suspects, 'num_suspects': len(ranked), 'judged': len(judged), 'sources': sources,
            'not_judged': len(annotations) - len(judged), 'model_labels': model_labels}


def _model(ctx, project, version):
    try:
        return ctx.models.get(project.id, version)
    except ModelNotFoundError:  # pruned, or its folder removed by hand: judged otherwise
        return None


def _out_of_sample(ctx, project, task_type, version, labeled):
    """``{task: (output, source, version or None)}`` for the labeled tasks that have one (see the module)."""
    found = {}
    metrics = project.versions().get(version, {}).get('metrics', {}) if version else {}
    held = [e for e in labeled if metrics.get('evaluated') and in_holdout(e['task'], metrics['eval_fraction'])]
    predictor = _model(ctx, project, version) if version else None
    serving = predictor if predictor is not None and predictor.card.kind == task_type.NAME else None
    if serving is not None and held:
        loaded, _ = task_type.loaded(held, ctx.reader)
        if loaded:
            held_outputs = task_type.outputs(serving, [task_type.model_input(e) for e in loaded])
            found.update({e['task']: (output, 'held_out', version) for e, output in zip(loaded, held_outputs)
                          if task_type.reads_output(output)})
    kept = project.kept_outputs(e['task'] for e in labeled if e['task'] not in found)
    found.update({task: (output, 'pool', scored_by) for task, (scored_by, output) in kept.items()
                  if task_type.reads_output(output)})
    if not task_type.CROSS_VALIDATES:
        return found
    missing = [e for e in labeled if e['task'] not in found]
    rest = [e for e in labeled if e['task'] in found]
    folds, _ = task_type.loaded((missing + rest)[:MAX_CROSS_VALIDATED], ctx.reader)
    if len(folds) < 2:
        return found
    inputs = [task_type.model_input(e) for e in folds]
    embed = task_type.pretrained_embedder(ctx.base_model(task_type), ctx.training_config(task_type), ctx.runtime)
    features = {'cross_validation': embed(inputs)}
    if serving is not None:
        features['tuned_cross_validation'] = serving.embed(inputs)
    cross_validated = [task_type.cross_validated_outputs(np.asarray(f), folds, seed=int(project.id))
                       for f in features.values()]
    for i, example in enumerate(folds):
        model_output, source, scored_by = found.get(example['task'], (None, None, None))
        found[example['task']] = (averaged(model_output, *(outputs[i] for outputs in cross_validated)),
                                  '+'.join(filter(None, [source, *features])), scored_by)
    return found

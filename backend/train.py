"""The training job: fine-tune on a project's labeled set, store and publish the version."""
import logging
import math
import time

from rq import get_current_job

from backend.context import Context
from backend.heartbeat import Heartbeat
from backend.label_studio import LabelStudioProject, LabelStudioUnavailable
from backend.metrics import TRAINING_SECONDS
from backend.project_state import VersionStatus
from backend.scheduler import is_retry, request_quality, request_rescore
from model import ModelNotFoundError, in_holdout
from model.task_types import AnnotationRejected

logger = logging.getLogger(__name__)

LEASE_SECONDS = 15
"""Seconds a training's lease outlives its last heartbeat: how long a killed worker blocks the next training."""

HEARTBEAT_SECONDS = 5
"""Seconds between renewals of a running training's lease."""

LEASE_POLL_SECONDS = 1
"""Seconds between tries of a training that waits for another's lease."""


def train_project(project_id, requested_at=0, force=False):
    """Fine-tune on the project's labeled set, store the version, publish it, queue re-scoring.

    Args:
        requested_at: :meth:`~backend.project_state.ProjectState.labels_added`
            when the training was requested. A retry (after a crash) or a due
            training finds its work superseded, and skips, once a training
            that started later has covered those annotations.
        force: the Train button: the first run trains even without new labels.

    Returns a summary dict (``status`` is ``published``, ``rejected`` or ``skipped``).
    """
    ctx = Context.for_current_job()
    job = get_current_job()
    project = ctx.project(project_id)
    claimed = _wait_for_lease(project, job.id, ctx.settings.train_timeout)
    try:
        with Heartbeat(lambda: project.renew_training(job.id, LEASE_SECONDS), HEARTBEAT_SECONDS):
            # From here on, new annotations count towards the next training.
            project.forget_job('train_job', job.id)
            if (force and not is_retry(job)) or project.labels_trained() < requested_at:
                summary = _train(ctx, project, job.id)
            else:
                summary = _skipped(project, f'superseded: a later training covered the {requested_at} '
                                            'annotations stored when this one was requested')
        if summary['status'] in (VersionStatus.PUBLISHED, VersionStatus.REJECTED):
            project.mark_trained(claimed)
        return summary
    finally:
        project.release_training(job.id)


def _wait_for_lease(project, token, timeout):
    """Take the project's training lease, waiting up to ``timeout`` seconds for a running training.

    A lease lives :data:`LEASE_SECONDS` unless its owner's heartbeat renews it,
    so the lease of a killed worker is free again within that time.
    """
    deadline = time.monotonic() + timeout
    while (claimed := project.claim_training(token, LEASE_SECONDS)) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f'project {project.id}: another training held the lease over {timeout}s')
        time.sleep(LEASE_POLL_SECONDS)
    return claimed


def _train(ctx, project, token):
    task_type = ctx.task_type(project)
    if task_type is None:
        return _skipped(project, 'no label config seen yet (connect the project, or send a webhook)')
    labels_from = 'redis'
    if ctx.settings.label_studio_enabled:
        try:
            _sync_examples(ctx, project, task_type)
            labels_from = 'label_studio'
        except LabelStudioUnavailable as error:
            labels_from = f'redis: Label Studio unreachable ({error}); trained on the labels webhooks delivered'
            logger.warning('Project %s: %s', project.id, labels_from)
    # Examples stored under an earlier config of another type cannot train this one.
    left_out = ctx.left_out(project)
    examples, unreadable = ctx.labeled(project, task_type, left_out)
    for reason in unreadable:
        logger.warning('Project %s: training without %s', project.id, reason)
    reason = task_type.untrainable(examples)
    if reason:
        return _skipped(project, reason)
    train, held_out, evaluation_note = _split(ctx.settings, examples, task_type)
    started = time.monotonic()
    predictor = task_type.fine_tune(ctx.base_model(task_type), train, ctx.training_config(task_type), ctx.runtime)
    train_seconds = time.monotonic() - started
    metrics = {'evaluated': False, 'reason': evaluation_note}
    if held_out:
        metrics = {'evaluated': True, 'eval_fraction': ctx.settings.eval_fraction,
                   **task_type.evaluate(predictor, held_out)}
    predictor, metrics, verdict = _verdict(ctx, project, task_type, predictor, held_out, metrics)
    version = project.new_version_name()
    summary = {
        'version': version,
        'created_at': time.time(),
        'num_train': len(train),
        'num_labeled': len(examples),
        'labels_from': labels_from,
        **task_type.to_dict(),
        **task_type.training_notes(train),
        **({'left_out_suspects': len(left_out)} if left_out else {}),
        **({'unreadable': unreadable[:20], 'num_unreadable': len(unreadable)} if unreadable else {}),
        'base_model': ctx.base_model(task_type),
        'train_seconds': round(train_seconds, 2),
        'runtime': ctx.runtime.describe(),
        'metrics': metrics,
        **verdict,
    }
    if not project.renew_training(token, LEASE_SECONDS):
        return _skipped(project, f'another training took the lease while this one stalled over {LEASE_SECONDS} s '
                                 '(or the project id now names another project): not published')
    ctx.store.save(project.id, version, predictor, summary)
    if summary['status'] == VersionStatus.REJECTED:
        project.add_version(version, summary)
        _prune(ctx, project)
        logger.warning('Project %s: kept %s; %s is worse: %s', project.id, project.current_version(), version,
                       summary['reason'])
        return summary
    project.publish(version, summary)
    TRAINING_SECONDS.observe(ctx.redis, train_seconds, project=project.id)
    _prune(ctx, project)
    logger.info('Project %s: published %s (%d labels, %.1fs, %s)', project.id, version, len(train),
                train_seconds, metrics)
    if ctx.settings.label_studio_enabled:
        summary['rescore_job'] = request_rescore(ctx, project, version)
    else:
        summary['quality_job'] = request_quality(ctx, project)
    return summary


def _verdict(ctx, project, task_type, candidate, held_out, metrics):
    """``(candidate, metrics, verdict)``: the verdict is ``{'status': 'published'}``, or ``rejected`` with the
    reason when the candidate's held-out metric is below the current version's, on the same held-out tasks, by
    more than ``PUBLISH_TOLERANCE`` and more than chance on that many tasks. Before that, the task type may
    keep parts of the current version (:meth:`~model.task_type.TaskType.merged`: a control whose new model
    is worse), which changes the candidate and its metrics.

    The two are compared only where the current version never trained on those tasks: it was itself
    evaluated, holding out at least today's ``EVAL_FRACTION`` (the split hashes task ids, so it held out
    every task held out now). A version trained on all labels, before ``MIN_EVAL_LABELS``, would be
    judged on tasks it learned by heart.
    """
    current = project.current_version()
    published = {'status': VersionStatus.PUBLISHED}
    if not metrics['evaluated'] or current is None:
        return candidate, metrics, published
    stored = project.versions().get(current, {}).get('metrics', {})
    if not stored.get('evaluated') or stored.get('eval_fraction', 0) < metrics['eval_fraction']:
        return candidate, metrics, {**published, 'not_compared': f'{current} trained on some of the tasks held out now'}
    try:
        serving = ctx.models.get(project.id, current)
    except ModelNotFoundError:
        return candidate, metrics, published
    if not task_type.comparable(serving, candidate):
        return candidate, metrics, published
    name = task_type.METRIC
    serving_metrics = task_type.evaluate(serving, held_out)

    def margin(num_held_out):
        # On few held-out tasks a metric moves by chance: about 1/sqrt(n) at two standard errors.
        return max(ctx.settings.publish_tolerance, 1 / math.sqrt(num_held_out))

    candidate, metrics, kept = task_type.merged(candidate, serving, metrics, serving_metrics, margin)
    baseline, allowed = serving_metrics[name], margin(len(held_out))
    compared = {'compared_with': current, f'current_{name}': baseline, 'reject_margin': round(allowed, 4),
                **({'kept_from_current': kept} if kept else {})}
    if metrics[name] < baseline - allowed:
        return candidate, metrics, {
            'status': VersionStatus.REJECTED, **compared,
            'reason': f'held-out {name} {metrics[name]:.4f} is below {current}\'s {baseline:.4f} on the same '
                      f'{len(held_out)} tasks by more than {allowed:.4f} (PUBLISH_TOLERANCE='
                      f'{ctx.settings.publish_tolerance}, or 1/sqrt({len(held_out)}) where larger)'}
    return candidate, metrics, {**published, **compared}


def _split(settings, examples, task_type):
    """Training examples, held-out examples, and a note on the evaluation.

    Tasks are held out by a hash of their id (``EVAL_FRACTION`` of them), only
    once ``MIN_EVAL_LABELS`` tasks are labeled, and only if the training side
    can still train.
    """
    if settings.eval_fraction == 0:
        return examples, [], 'EVAL_FRACTION is 0'
    if len(examples) < settings.min_eval_labels:
        return examples, [], (f'{len(examples)} labeled tasks; metrics start at MIN_EVAL_LABELS='
                              f'{settings.min_eval_labels}, all labels are used for training until then')
    held = [in_holdout(e['task'], settings.eval_fraction) for e in examples]
    train = [e for e, h in zip(examples, held) if not h]
    held_out = [e for e, h in zip(examples, held) if h]
    if not held_out or task_type.untrainable(train):
        return examples, [], 'the held-out split left too little to train or evaluate on'
    return train, held_out, ''


def _sync_examples(ctx, project, task_type):
    """Replace the labeled set with the annotations Label Studio holds now (and those webhooks write meanwhile)."""
    project.begin_sync(ctx.settings.train_timeout)
    examples = {}
    for task in LabelStudioProject.for_project(ctx, project).labeled_tasks():
        for annotation in task.get('annotations') or ():
            try:
                example = task_type.example_of(annotation, task, ctx.reader)
            except AnnotationRejected as error:
                logger.warning('Project %s: sync skipped %s', project.id, error)
                continue
            if example is not None:
                examples[annotation['id']] = example
    project.replace_examples(examples)
    logger.info('Project %s: synced %d annotations from Label Studio', project.id, len(examples))


def _prune(ctx, project):
    """Keep the newest ``KEEP_VERSIONS`` versions on disk and in Redis, and the one served now, read here: a
    version activated by hand while this training ran stays."""
    keep = set(list(project.versions())[-ctx.settings.keep_versions:]) | {project.current_version()}
    ctx.store.prune(project.id, keep)
    project.forget_versions([v for v in project.versions() if v not in keep])


def _skipped(project, reason):
    logger.info('Project %s: training skipped: %s', project.id, reason)
    return {'status': 'skipped', 'reason': reason}

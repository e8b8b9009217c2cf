"""Several served controls over one object of a config: each learned by its own task type, one version for all."""
import json
from dataclasses import dataclass, replace

import numpy as np

from model.device import CPU
from model.multi_control.predictor import MULTI_CONTROL, ControlModels
from model.task_type import TaskType
from strategies import CLASS_STRATEGIES, COVERAGE_STRATEGIES

COMBINE_RULES = {
    'min': lambda scores: scores.min(axis=0),
    'mean': lambda scores: scores.mean(axis=0),
}
"""How a task's score comes from its controls' scores (each in ``[0, 1]``, lower = label first): ``min``, a task
is as urgent as its most uncertain control (the default); ``mean``, all controls count alike."""

UNSCORED = 1.0
"""A control's score for a task it has no model for or cannot read: it does not make the task urgent."""


def _combine_rule(value):
    if value not in COMBINE_RULES:
        raise ValueError(f'expected one of {", ".join(COMBINE_RULES)}, got {value!r}')
    return value


@dataclass(frozen=True)
class MultiControl(TaskType):
    """Several controls (``parts``, each a :class:`TaskType` of one control) over the same object.

    Each control keeps its own model, trained on the annotations that fill it,
    evaluated on its own metric and gated on it: a control whose new model is
    worse than the serving one keeps the serving one (:meth:`merged`). An
    example is ``{"task", "controls": {control name: that type's example}}``;
    an input is ``{control name: that type's input}``. A prediction holds every
    control's result items; its score combines the controls' scores by
    ``combine`` (:data:`COMBINE_RULES`).

    Attributes:
        parts: the controls' task types, in config order.
        combine: the name of the rule in :data:`COMBINE_RULES` (the ``combine`` option).
    """

    parts: tuple = ()
    combine: str = 'min'

    NAME = MULTI_CONTROL
    MODEL = ControlModels
    METRIC = 'mean_metric'
    AGREEMENT = 'mean over controls'
    TARGET = 'controls'
    OPTIONS = {'combine': _combine_rule}

    @classmethod
    def of(cls, parts):
        """The type serving ``parts`` (two or more task types over one object)."""
        first = parts[0]
        return cls(from_name=','.join(p.from_name for p in parts), to_name=first.to_name, field=first.field,
                   labels=(), parts=tuple(parts))

    @classmethod
    def from_config(cls, config, control):
        raise NotImplementedError('a multi-control type is made of served controls (see MultiControl.of)')

    @property
    def OBJECT(self):  # noqa: N802 (the class attribute of every other type)
        return self.parts[0].OBJECT

    @property
    def STRATEGIES(self):  # noqa: N802
        """Those every control scores with, but the ones that read the labeled set (each control has its own)."""
        return tuple(s for s in self.parts[0].STRATEGIES if all(s in p.STRATEGIES for p in self.parts)
                     and s not in (*COVERAGE_STRATEGIES, *CLASS_STRATEGIES))

    @property
    def DEFAULT_STRATEGY(self):  # noqa: N802
        """The first control's default where every control scores with it."""
        default = self.parts[0].DEFAULT_STRATEGY
        return default if default in self.STRATEGIES else 'margin'

    @property
    def served_controls(self):
        return self.parts

    def default_weights(self):
        return self.parts[0].default_weights()

    def pretrained_model(self, weight):
        """Each control's pretrained model: control name -> model (``DETECTION_MODEL`` for boxes beside
        ``IMAGE_MODEL`` for Choices)."""
        return {p.from_name: p.pretrained_model(weight) for p in self.parts}

    def comparable(self, predictor, other):
        """Whether one control at least has a model in both that serves it as configured now."""
        return any(self._model_of(predictor, p) and self._model_of(other, p) for p in self.parts)

    def configured(self, options):
        combine = options.get('combine', self.combine)
        return replace(self, parts=tuple(p.configured(options) for p in self.parts), combine=combine)

    def training_config(self, **settings):
        """Each control's :class:`~model.training.TrainingConfig`: control name -> config."""
        return {p.from_name: p.training_config(**settings) for p in self.parts}

    def to_dict(self):
        return {**super().to_dict(), 'combine': self.combine,
                'controls': [{k: v for k, v in p.to_dict().items() if k != 'ignored'} for p in self.parts]}

    def read(self, tasks, reader):
        """Each control reads the task its own way; a task is skipped only when no control can read it."""
        read = [p.read(tasks, reader) for p in self.parts]
        inputs, reasons = [], []
        for i in range(len(tasks)):
            found = {p.from_name: values[i] for p, (values, _) in zip(self.parts, read) if values[i] is not None}
            inputs.append(found or None)
            reasons.append(None if found else '; '.join(dict.fromkeys(why[i] for _, why in read)))
        return inputs, reasons

    def example_from(self, annotation, task, reader):
        """The examples of the controls the annotation fills (as each type reads it alone), or None."""
        found = {}
        for part in self.parts:
            example = part.example_from(annotation, task, reader)
            if example is not None:
                found[part.from_name] = example
        return {'task': found[next(iter(found))]['task'], 'controls': found} if found else None

    def holds(self, example):
        controls = self._controls(example)
        return any(p.from_name in controls and p.holds(controls[p.from_name]) for p in self.parts)

    def label_key(self, example):
        return json.dumps({name: part.label_key(sub) for name, (part, sub) in self._filled(example).items()},
                          sort_keys=True)

    def loaded(self, examples, reader):
        """Each control's examples loaded by its type; an example keeps the controls that could be read."""
        controls = [dict(self._controls(e)) for e in examples]
        unreadable = []
        for part in self.parts:
            at = [i for i, c in enumerate(controls) if part.from_name in c]
            kept, reasons = part.loaded([controls[i][part.from_name] for i in at], reader)
            unreadable += [r for r in reasons if r not in unreadable]
            by_task = {e['task']: e for e in kept}
            for i in at:
                if examples[i]['task'] in by_task:
                    controls[i][part.from_name] = by_task[examples[i]['task']]
                else:
                    del controls[i][part.from_name]
        return [{**e, 'controls': c} for e, c in zip(examples, controls) if c], unreadable

    def model_input(self, example):
        return {name: part.model_input(sub) for name, (part, sub) in self._filled(example).items()}

    def untrainable(self, examples):
        """None once one control can train; else every control's reason."""
        reasons = {p.from_name: p.untrainable(self._part_examples(p, examples)) for p in self.parts}
        if all(reasons.values()):
            return '; '.join(f'{name}: {reason}' for name, reason in reasons.items())
        return None

    def fine_tune(self, base_model, examples, training, runtime=CPU):
        """A model for each control that can train on the examples that fill it."""
        parts = {}
        for part in self.parts:
            mine = self._part_examples(part, examples)
            if not part.untrainable(mine):
                parts[part.from_name] = part.fine_tune(base_model[part.from_name], mine, training[part.from_name],
                                                       runtime)
        return ControlModels(parts, runtime)

    def training_notes(self, examples):
        notes = {}
        for part in self.parts:
            mine = self._part_examples(part, examples)
            why_not = part.untrainable(mine)
            notes[part.from_name] = {'num_train': len(mine), **part.training_notes(mine),
                                     **({'untrained': why_not} if why_not else {})}
        return {'per_control': notes}

    def evaluate(self, predictor, examples):
        """``per_control``: each control's held-out metrics on the examples that fill it; :attr:`METRIC`: the
        mean of the controls' own metrics (accuracy, entity F1, mAP@0.5)."""
        metrics = {}
        for part in self.parts:
            mine = self._part_examples(part, examples)
            if (model := self._model_of(predictor, part)) and mine:
                metrics[part.from_name] = {'num_held_out': len(mine), **part.evaluate(model, mine)}
        return {'per_control': metrics, self.METRIC: self._mean(metrics)}

    def merged(self, candidate, serving, metrics, serving_metrics, margin):
        """The candidate with each control whose held-out metric fell below the serving version's by more than
        ``margin(number held out)`` replaced by the serving version's model, and each control the candidate has
        no model for taken from the serving version; with the metrics and, per control kept, the reason. The
        mean metric covers the controls ``serving_metrics`` holds, so that the publish gate compares like with
        like."""
        parts, kept = dict(candidate.parts), {}
        controls, serving_metrics = dict(metrics['per_control']), serving_metrics['per_control']
        for part in self.parts:
            name, key = part.from_name, part.METRIC
            serving_model = self._model_of(serving, part)
            if serving_model is None:
                continue
            if self._model_of(candidate, part) is None:
                parts[name] = serving_model
                kept[name] = 'no new model (too few labels of it)'
                if name in serving_metrics:
                    controls[name] = serving_metrics[name]
            elif name in controls and name in serving_metrics:
                allowed = margin(controls[name]['num_held_out'])
                if controls[name][key] < serving_metrics[name][key] - allowed:
                    kept[name] = (f'held-out {key} {controls[name][key]:.4f} is below the serving '
                                  f'{serving_metrics[name][key]:.4f} by more than {allowed:.4f}')
                    parts[name], controls[name] = serving_model, serving_metrics[name]
        compared = self._mean({name: value for name, value in controls.items() if name in serving_metrics})
        merged = {**metrics, 'per_control': controls, self.METRIC: compared}
        return ControlModels(parts, candidate.runtime), merged, kept

    def metrics(self, outputs, examples):
        raise NotImplementedError('a multi-control type is evaluated one control at a time (see evaluate)')

    def predict(self, predictor, inputs, acquisition, rng):
        """Every control's result items; the score combines the controls' scores by :attr:`combine`; outputs are
        ``{control name: that type's output}``."""
        results, outputs = [[] for _ in inputs], [{} for _ in inputs]
        columns = []
        for part in self.parts:
            at = [i for i, x in enumerate(inputs) if part.from_name in x]
            if (model := self._model_of(predictor, part)) is None or not at:
                continue
            found, scores, outs = part.predict(model, [inputs[i][part.from_name] for i in at], acquisition, rng)
            column = np.full(len(inputs), UNSCORED)
            column[at] = scores
            columns.append(column)
            for i, result, output in zip(at, found, outs):
                results[i] += result
                outputs[i][part.from_name] = output
        scores = COMBINE_RULES[self.combine](np.array(columns)) if columns else np.full(len(inputs), UNSCORED)
        return results, scores, outputs

    def outputs(self, predictor, inputs):
        outputs = [{} for _ in inputs]
        for part in self.parts:
            at = [i for i, x in enumerate(inputs) if part.from_name in x]
            if (model := self._model_of(predictor, part)) and at:
                found = part.outputs(model, [inputs[i][part.from_name] for i in at])
                for i, output in zip(at, found):
                    outputs[i][part.from_name] = output
        return outputs

    def agreement(self, outputs, other):
        """The mean over controls of each control's own agreement (on the tasks both versions read)."""
        values = []
        for part in self.parts:
            pairs = [(a[part.from_name], b[part.from_name]) for a, b in zip(outputs, other)
                     if part.from_name in a and part.from_name in b]
            if pairs:
                values.append(part.agreement([a for a, _ in pairs], [b for _, b in pairs]))
        return float(np.mean(values)) if values else 0.0

    def pretrained_embedder(self, base_model, training, runtime=CPU):
        """The first control's pretrained encoder over what it reads (another control's input where it reads
        nothing)."""
        first = self.parts[0]
        embed = first.pretrained_embedder(base_model[first.from_name], training[first.from_name], runtime)
        return lambda inputs: embed([x.get(first.from_name, next(iter(x.values()))) for x in inputs])

    @staticmethod
    def _model_of(predictor, part):
        """The predictor's model of ``part``'s control, or None where it has none, or one of another type or
        other labels (the config changed since it trained)."""
        model = predictor.parts.get(part.from_name)
        ok = model is not None and model.card.kind == part.NAME and tuple(model.card.labels) == tuple(part.labels)
        return model if ok else None

    def _controls(self, example):
        """An example's controls. One stored while the config served its first control alone (before a
        second was served) is that control's."""
        if 'controls' in example:
            return example['controls']
        return {self.parts[0].from_name: example} if self.parts[0].holds(example) else {}

    def _filled(self, example):
        controls = self._controls(example)
        return {p.from_name: (p, controls[p.from_name]) for p in self.parts if p.from_name in controls}

    def _part_examples(self, part, examples):
        mine = [self._controls(e).get(part.from_name) for e in examples]
        return [example for example in mine if example is not None and part.holds(example)]

    def _mean(self, metrics):
        """The mean of each control's own metric in ``metrics`` (control name -> metrics)."""
        values = [m[p.METRIC] for p in self.parts if (m := metrics.get(p.from_name)) and p.METRIC in m]
        return float(np.mean(values)) if values else 0.0

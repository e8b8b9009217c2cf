"""Several served controls over one object of a config (two ``<Choices>``, ``<Labels>`` with ``<Choices>``,
``<RectangleLabels>`` with ``<Choices>``): one model per control, one version for all."""
from model.multi_control.predictor import MULTI_CONTROL, ControlModels
from model.multi_control.task_type import COMBINE_RULES, MultiControl

__all__ = ['COMBINE_RULES', 'MULTI_CONTROL', 'ControlModels', 'MultiControl']

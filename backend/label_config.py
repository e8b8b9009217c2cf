"""Read what the backend needs from a Label Studio labeling config."""
import functools
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass


class LabelConfigError(ValueError):
    """A labeling config the backend cannot serve."""


CONTROL_TAGS = frozenset({
    'Choices', 'Labels', 'TextArea', 'Rating', 'Taxonomy', 'Number', 'DateTime', 'Ranker', 'Pairwise',
    'Relations', 'RectangleLabels', 'PolygonLabels', 'KeyPointLabels', 'BrushLabels', 'EllipseLabels',
    'HyperTextLabels', 'ParagraphLabels', 'TimeSeriesLabels', 'VideoRectangle', 'Rectangle', 'Polygon',
    'KeyPoint', 'Brush', 'Ellipse', 'MagicWand', 'BitmaskLabels', 'List',
})
"""Tags that produce annotations; of these only ``Choices`` is served."""

OBJECT_TAGS = frozenset({
    'Text', 'HyperText', 'Image', 'Audio', 'AudioPlus', 'Video', 'Paragraphs', 'Table', 'TimeSeries',
    'PDF', 'Markdown', 'Chat', 'MultiChannel',
})
"""Tags that show data; of these only ``Text`` with an inline value is served."""


@dataclass(frozen=True)
class ChoicesConfig:
    """A ``Choices`` control over a ``Text`` object.

    Attributes:
        from_name: the ``name`` of the Choices tag.
        to_name: the ``name`` of the Text tag it labels.
        field: the task data key the Text tag shows (``$text`` -> ``text``).
        labels: the choice values, in config order.
        multi_label: ``choice="multiple"`` on the Choices tag.
    """

    from_name: str
    to_name: str
    field: str
    labels: tuple
    multi_label: bool

    def to_dict(self):
        return {'from_name': self.from_name, 'to_name': self.to_name, 'field': self.field,
                'labels': list(self.labels), 'multi_label': self.multi_label}

    def choices_of(self, annotation_result):
        """The choices this control holds in an annotation's ``result`` list, or None if absent."""
        for region in annotation_result or ():
            if (isinstance(region, dict) and region.get('from_name') == self.from_name
                    and region.get('type', 'choices') == 'choices'):
                choices = (region.get('value') or {}).get('choices')
                if isinstance(choices, list):
                    return choices
        return None

    def result(self, choices):
        """A prediction ``result`` list that selects ``choices``."""
        return [{'from_name': self.from_name, 'to_name': self.to_name, 'type': 'choices',
                 'value': {'choices': list(choices)}}]


@functools.lru_cache(maxsize=64)
def parse_label_config(xml):
    """The :class:`ChoicesConfig` of a labeling config.

    Raises:
        LabelConfigError: the XML does not parse, or does not hold exactly one
            Choices control over a Text object (the message names the tags).
    """
    if not isinstance(xml, str) or not xml.strip():
        raise LabelConfigError('label_config: empty; expected a <View> with a <Text> and a <Choices>')
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as error:
        raise LabelConfigError(f'label_config: not valid XML ({error})') from None
    elements = list(root.iter())
    controls = [e for e in elements if e.tag in CONTROL_TAGS]
    unsupported = sorted({e.tag for e in controls if e.tag != 'Choices'}
                         | {e.tag for e in elements if e.tag in OBJECT_TAGS and e.tag != 'Text'})
    if unsupported:
        raise LabelConfigError(f'label_config: unsupported tag(s) {", ".join(unsupported)}; '
                               'this backend serves text classification: one <Choices> over one <Text>')
    if len(controls) != 1:
        raise LabelConfigError(f'label_config: expected exactly one <Choices>, found {len(controls)}')
    choices = controls[0]
    texts = {e.get('name'): e for e in elements if e.tag == 'Text'}
    target = texts.get(choices.get('toName'))
    if target is None:
        raise LabelConfigError(f'label_config: <Choices name="{choices.get("name")}"> must point toName '
                               f'a <Text> (found toName="{choices.get("toName")}")')
    value = target.get('value', '')
    if not value.startswith('$') or len(value) < 2 or target.get('valueType', 'text') != 'text':
        raise LabelConfigError(f'label_config: <Text name="{target.get("name")}"> must show a task field '
                               f'inline, like value="$text" (found value="{value}")')
    labels = tuple(c.get('alias') or c.get('value') for c in choices.iter('Choice'))
    if len(labels) < 2 or not all(labels) or len(set(labels)) != len(labels):
        raise LabelConfigError(f'label_config: <Choices name="{choices.get("name")}"> needs at least two '
                               f'distinct <Choice value="..."> (found {list(labels)})')
    return ChoicesConfig(from_name=choices.get('name'), to_name=target.get('name'), field=value[1:],
                         labels=labels, multi_label=choices.get('choice', 'single') == 'multiple')

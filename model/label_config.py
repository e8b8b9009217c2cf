"""Read a Label Studio labeling config: its control and object tags, and what they point at."""
import xml.etree.ElementTree as ElementTree

MAX_CONFIG_CHARS = 100_000
"""Largest labeling config accepted, in characters."""

MAX_LABELS = 1000
"""Most label values one control may offer."""

CONTROL_TAGS = frozenset({
    'Choices', 'Labels', 'TextArea', 'Rating', 'Taxonomy', 'Number', 'DateTime', 'Ranker', 'Pairwise',
    'Relations', 'RectangleLabels', 'PolygonLabels', 'KeyPointLabels', 'BrushLabels', 'EllipseLabels',
    'HyperTextLabels', 'ParagraphLabels', 'TimeSeriesLabels', 'VideoRectangle', 'Rectangle', 'Polygon',
    'KeyPoint', 'Brush', 'Ellipse', 'MagicWand', 'BitmaskLabels', 'List',
})
"""Tags that produce annotations."""

OBJECT_TAGS = frozenset({
    'Text', 'HyperText', 'Image', 'Audio', 'AudioPlus', 'Video', 'Paragraphs', 'Table', 'TimeSeries',
    'PDF', 'Markdown', 'Chat', 'MultiChannel',
})
"""Tags that show data."""


class LabelConfigError(ValueError):
    """A labeling config the backend cannot serve; the message names the tag."""


class LabelConfig:
    """The control and object tags of a parsed ``<View>``, found anywhere in its tree."""

    def __init__(self, xml):
        if not isinstance(xml, str) or not xml.strip():
            raise LabelConfigError('label_config: empty; expected a <View> with a <Text> or an <Image> and a '
                                   'control over it (<Choices>, <Labels>, <RectangleLabels>)')
        if len(xml) > MAX_CONFIG_CHARS:
            raise LabelConfigError(f'label_config: {len(xml)} characters; the limit is {MAX_CONFIG_CHARS}')
        try:
            root = ElementTree.fromstring(xml)
        except ElementTree.ParseError as error:
            raise LabelConfigError(f'label_config: not valid XML ({error})') from None
        elements = list(root.iter())
        self.controls = [e for e in elements if e.tag in CONTROL_TAGS]
        self.objects = [e for e in elements if e.tag in OBJECT_TAGS]
        self.names = {e.get('name') for e in elements if e.get('name')}

    def named(self, name):
        """The object tag called ``name``, or None."""
        return next((o for o in self.objects if o.get('name') == name), None)

    def target(self, control, object_tag):
        """The ``object_tag`` element ``control`` points at with ``toName``."""
        found = [e for e in self.objects if e.get('name') == control.get('toName')]
        if len(found) != 1 or found[0].tag != object_tag:
            raise LabelConfigError(f'label_config: <{control.tag} name="{control.get("name")}"> must point '
                                   f'toName a <{object_tag}> (found toName="{control.get("toName")}")')
        return found[0]


def inline_text_field(text):
    """The task data key an inline ``<Text value="$field">`` shows."""
    value = text.get('value', '')
    if not value.startswith('$') or len(value) < 2 or text.get('valueType', 'text') != 'text':
        raise LabelConfigError(f'label_config: <Text name="{text.get("name")}"> must show a task field '
                               f'inline, like value="$text" (found value="{value}")')
    return value[1:]


def task_field(element):
    """The task data key an object tag shows with ``value="$field"``."""
    value = element.get('value', '')
    if not value.startswith('$') or len(value) < 2:
        raise LabelConfigError(f'label_config: <{element.tag} name="{element.get("name")}"> must show a task field, '
                               f'like value="$dialogue" (found value="{value}")')
    return value[1:]


def image_field(image):
    """The task data key an ``<Image value="$field">`` shows."""
    value = image.get('value', '')
    if not value.startswith('$') or len(value) < 2 or image.get('valueList'):
        raise LabelConfigError(f'label_config: <Image name="{image.get("name")}"> must show one image from a task '
                               f'field, like value="$image" (found value="{value}"'
                               f'{", valueList" if image.get("valueList") else ""})')
    return value[1:]


def label_values(control, child_tag, minimum):
    """The distinct values of ``control``'s ``child_tag`` children (alias first), in config order (a value given
    twice is one label, as in Label Studio)."""
    values = tuple(dict.fromkeys(c.get('alias') or c.get('value') for c in control.iter(child_tag)))
    if len(values) < minimum or not all(values):
        raise LabelConfigError(f'label_config: <{control.tag} name="{control.get("name")}"> needs at least '
                               f'{minimum} distinct <{child_tag} value="..."> (found {list(values)[:20]})')
    if len(values) > MAX_LABELS:
        raise LabelConfigError(f'label_config: <{control.tag} name="{control.get("name")}"> has '
                               f'{len(values)} labels; the limit is {MAX_LABELS}')
    return values

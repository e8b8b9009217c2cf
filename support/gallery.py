"""Label Studio's own template gallery, and what this backend does with each config: the table in
``docs/gallery.md``, which a test keeps current.

    python -m support.gallery > docs/gallery.md
"""
import sys

import yaml

from model.label_config import LabelConfigError
from model.task_types import parse_label_config
from support.servers import LABEL_STUDIO_VENV, LABEL_STUDIO_VERSION, label_studio_binary

HEADER = f"""# Label Studio's template gallery

What this backend does with each of the {{count}} labeling configs that Label Studio {LABEL_STUDIO_VERSION} ships
(`label_studio/annotation_templates/**/config.yml`): **served** (every tag learned or shown), **partly
served** (the controls named learned, the tags named ignored, with the reason), or **refused** at `/setup` with
a 422 and the reason (for a config with nothing learned, the 422 also lists what is: `<Choices>`
over `<Text>`, `<Paragraphs>`, `<Chat>` or `<Image>`, `<Labels>` over `<Text>`, `<RectangleLabels>` over
`<Image>`). {{served}} of {{count}} are served or partly served. `tests/integration/test_gallery.py` fails
when a verdict changes until this file is regenerated: `python -m support.gallery > docs/gallery.md`.

| Template | Verdict | Learned | Ignored, or why it is refused |
|---|---|---|---|
"""


NOTHING_LEARNED = 'nothing this backend learns ('
"""How the 422 of a config without a served control starts (the served pairs follow, then each tag's reason)."""


def templates():
    """``(folder, title, config)`` of every gallery template, by folder (Label Studio is installed if need be)."""
    label_studio_binary()
    root = next((LABEL_STUDIO_VENV / 'lib').glob('python*/site-packages/label_studio/annotation_templates'))
    found = []
    for path in sorted(root.glob('**/config.yml')):
        template = yaml.safe_load(path.read_text(encoding='utf-8'))
        found.append((str(path.parent.relative_to(root)), template['title'], template['config']))
    return found


def verdict(config):
    """``(verdict, learned, ignored or reason)`` of one labeling config."""
    try:
        task_type = parse_label_config(config)
    except LabelConfigError as error:
        reason = str(error).removeprefix('label_config: ')
        return 'refused', '', reason.split('): ', 1)[1] if reason.startswith(NOTHING_LEARNED) else reason
    learned = ', '.join(f'{t.NAME}: <{t.CONTROL} name="{t.from_name}">' for t in task_type.served_controls)
    return ('partly served' if task_type.ignored else 'served'), learned, '; '.join(task_type.ignored)


def table():
    """The Markdown text of ``docs/gallery.md``."""
    rows = [(title, *verdict(config)) for _, title, config in templates()]
    served = sum(row[1] != 'refused' for row in rows)
    lines = [HEADER.format(count=len(rows), served=served)]
    for title, decision, learned, detail in rows:
        lines.append(f'| {title} | {decision} | {_code(learned)} | {_code(detail)} |\n')
    return ''.join(lines)


def _code(text):
    return f'`{text}`' if text else ''


if __name__ == '__main__':
    sys.stdout.write(table())

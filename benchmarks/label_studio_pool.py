"""What the benchmarks against a real Label Studio share: a sentiment project of many tasks, and the report."""
import json
from pathlib import Path

LABEL_CONFIG = '''<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text"><Choice value="fresh"/><Choice value="rotten"/></Choices>
</View>'''
"""Rotten Tomatoes' two classes."""

IMPORT_CHUNK = 10_000
"""Tasks per import request."""


def new_project(api, title, texts, config=LABEL_CONFIG, field='text'):
    """A Label Studio project of ``config`` holding one task per value of ``texts``, as its ``field``;
    returns its id."""
    pid = api.call('POST', '/api/projects', json={'title': title, 'label_config': config})['id']
    for start in range(0, len(texts), IMPORT_CHUNK):
        api.call('POST', f'/api/projects/{pid}/import', json=[{field: t} for t in texts[start:start + IMPORT_CHUNK]])
    return pid


def report(result, out=None):
    """Print ``result`` as JSON, and write it to ``out`` too when given."""
    print(json.dumps(result, indent=2))
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(result, indent=2) + '\n')

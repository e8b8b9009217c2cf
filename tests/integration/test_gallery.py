"""Label Studio's own template gallery as the yardstick of the configs served: each verdict as docs/gallery.md
records it."""
from pathlib import Path

from support.gallery import table, templates, verdict

GALLERY = Path(__file__).resolve().parents[2] / 'docs' / 'gallery.md'

MIN_SERVED = 20
"""Templates served or partly served (6 before configs could hold tags no task type learns, and dialogues)."""


def test_every_template_gets_the_verdict_docs_gallery_records():
    assert table() == GALLERY.read_text(encoding='utf-8'), (
        'a verdict changed: check it, then regenerate with `python -m support.gallery > docs/gallery.md`')


def test_most_templates_with_a_control_a_task_type_learns_are_served():
    verdicts = [verdict(config)[0] for _, _, config in templates()]
    assert len(verdicts) == 69
    assert sum(v != 'refused' for v in verdicts) >= MIN_SERVED

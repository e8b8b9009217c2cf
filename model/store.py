"""Versions on disk: ``<root>/<project>/<version>/`` with safetensors weights and a manifest."""
import json
import logging
import os
import shutil
import uuid
from pathlib import Path

from model.contracts import ModelCard
from model.device import CPU
from model.exceptions import ModelNotFoundError
from model.task_types import model_class

logger = logging.getLogger(__name__)

MANIFEST = 'manifest.json'
"""Written last into a version folder: a folder without it is not a version."""

PARTIAL_PREFIX = '.partial-'
"""A version is written under this hidden name, then renamed; it is never listed or loaded."""


class VersionStore:
    """One folder per project, one sub-folder per model version.

    A version is written into a hidden temporary folder and renamed into place
    when complete, so a reader never sees a half-written version.
    """

    def __init__(self, root):
        self.root = Path(root)

    def path(self, project, version):
        return self.root / str(project) / str(version)

    def save(self, project, version, predictor, metadata):
        """Write ``predictor`` as ``version`` of ``project``; ``metadata`` goes into the manifest."""
        final = self.path(project, version)
        if final.exists():
            raise FileExistsError(f'version: {version!r} already exists in {final.parent}')
        partial = final.parent / f'{PARTIAL_PREFIX}{version}-{uuid.uuid4().hex[:8]}'
        partial.mkdir(parents=True)
        try:
            predictor.save(partial)
            manifest = {**metadata, 'version': version, 'card': predictor.card.to_dict()}
            (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
            os.rename(partial, final)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        logger.info('Project %s: saved version %s in %s', project, version, final)
        return final

    def manifest(self, project, version):
        """The manifest of a saved version."""
        path = self.path(project, version) / MANIFEST
        try:
            return json.loads(path.read_text())
        except FileNotFoundError:
            raise ModelNotFoundError(f'version: {version!r} of project {project} is not in {self.root}') from None

    def load(self, project, version, runtime=CPU):
        """The predictor of a saved version (its card's ``kind`` names the task type that loads it), on
        ``runtime``'s device."""
        card = ModelCard.from_dict(self.manifest(project, version)['card'])
        return model_class(card.kind).load(self.path(project, version), card, runtime)

    def archive(self, project, name):
        """Move every version of ``project`` under the project name ``name``."""
        folder = self.root / str(project)
        if folder.is_dir():
            os.rename(folder, self.root / str(name))

    def versions(self, project):
        """Complete versions of ``project``, oldest first."""
        folder = self.root / str(project)
        if not folder.is_dir():
            return []
        found = [p for p in folder.iterdir() if not p.name.startswith('.') and (p / MANIFEST).is_file()]
        return [p.name for p in sorted(found, key=lambda p: (p / MANIFEST).stat().st_mtime)]

    def prune(self, project, keep):
        """Delete every version of ``project`` not named in ``keep``, and the half-written folders a
        crash during :meth:`save` left (call it where no save of ``project`` runs)."""
        for version in self.versions(project):
            if version not in keep:
                shutil.rmtree(self.path(project, version), ignore_errors=True)
                logger.info('Project %s: removed old version %s', project, version)
        for partial in (self.root / str(project)).glob(f'{PARTIAL_PREFIX}*'):
            shutil.rmtree(partial, ignore_errors=True)
            logger.warning('Project %s: removed %s, left by a save that did not finish', project, partial.name)


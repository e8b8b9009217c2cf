"""A version of several controls: one loaded model per control, saved side by side in one version folder."""
import json

from model.contracts import LoadedModel, ModelCard
from model.device import CPU

MULTI_CONTROL = 'multi_control'
"""``ModelCard.kind`` of a version that serves several controls of one config."""

CONTROLS_FILE = 'controls.json'
"""Lists a version's controls: name, card and sub-folder of each."""


class ControlModels(LoadedModel):
    """The models of a version that serves several controls: control name -> :class:`LoadedModel`.

    A control without a model (too few labels of it so far) is absent. The card's ``labels`` are every control's
    labels as ``control/label``, so two versions compare (:meth:`ModelCard.comparable`) only when every control
    and label is the same.
    """

    def __init__(self, parts, runtime=CPU):
        first = next(iter(parts.values()))
        self.parts = dict(parts)
        self.runtime = runtime
        self.card = ModelCard(labels=tuple(f'{name}/{label}' for name, part in self.parts.items()
                                           for label in part.card.labels),
                              multi_label=False, max_length=first.card.max_length,
                              base_model=first.card.base_model, kind=MULTI_CONTROL,
                              image_size=first.card.image_size)

    def infer(self, inputs, mc_passes=0, rng=None):
        raise NotImplementedError('a multi-control version infers one control at a time (see parts)')

    def scores(self, strategy, inference, rng, labeled_embeddings=None, batch_size=None):
        raise NotImplementedError('a multi-control version scores one control at a time (see parts)')

    def save(self, folder):
        listing = []
        for index, (name, part) in enumerate(self.parts.items()):
            (folder / str(index)).mkdir()
            part.save(folder / str(index))
            listing.append({'name': name, 'folder': str(index), 'card': part.card.to_dict()})
        (folder / CONTROLS_FILE).write_text(json.dumps(listing, indent=2))

    @classmethod
    def load(cls, folder, card, runtime=CPU):
        # Imported here: the registry of task types imports this module.
        from model.task_types import model_class
        parts = {}
        for entry in json.loads((folder / CONTROLS_FILE).read_text()):
            part_card = ModelCard.from_dict(entry['card'])
            parts[entry['name']] = model_class(part_card.kind).load(folder / entry['folder'], part_card, runtime)
        return cls(parts, runtime)

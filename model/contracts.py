"""What every task type's model shares: the network shape, the version card and the loaded-model interface."""
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass

from safetensors.torch import load_file, save_file
from torch import nn

from model.device import CPU
from strategies import MC_STRATEGIES

LEGACY_KIND = 'text_classification'
"""``ModelCard.kind`` of versions saved before kinds existed (all were text classifiers)."""

HEAD_WEIGHTS = 'head.safetensors'
"""Weights of the head in a version folder."""


@dataclass(frozen=True)
class ModelCard:
    """What a version needs besides its weights to turn outputs into labels.

    ``kind`` is the :attr:`~model.task_type.TaskType.NAME` of the type that
    trained it; the store loads a version by it. ``max_length`` is in tokens for
    text, ``image_size`` in pixels (a side of the square the encoder reads) for images.
    """

    labels: tuple
    multi_label: bool
    max_length: int
    base_model: str
    kind: str = LEGACY_KIND
    image_size: int = 0

    def to_dict(self):
        return {**asdict(self), 'labels': list(self.labels)}

    def comparable(self, other):
        """Whether ``other``'s outputs can be compared with this one's: same kind, labels and multi-label."""
        return (self.kind, self.labels, self.multi_label) == (other.kind, other.labels, other.multi_label)

    @classmethod
    def from_dict(cls, data):
        return cls(labels=tuple(data['labels']), multi_label=bool(data['multi_label']),
                   max_length=int(data['max_length']), base_model=str(data['base_model']),
                   kind=str(data.get('kind', LEGACY_KIND)), image_size=int(data.get('image_size', 0)))


class EncoderWithHead(nn.Module):
    """A pretrained encoder, dropout and a fresh linear ``head`` of ``num_outputs``: what every task type
    fine-tunes and the version store saves."""

    def __init__(self, encoder, num_outputs, dropout=0.1, hidden_size=None):
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size or encoder.config.hidden_size, num_outputs)


class LoadedModel(ABC):
    """A trained :class:`EncoderWithHead` ready for inference, as the store saves and loads it.

    Args:
        module: the trained network; put in eval mode here.
        card: label names and settings of the version.
        runtime: the :class:`~model.device.Runtime` it runs on (the module is moved to its device).
    """

    def __init__(self, module, card, runtime=CPU):
        self.classifier = module.to(runtime.device).eval()
        self.card = card
        self.runtime = runtime

    @abstractmethod
    def infer(self, inputs, mc_passes=0, rng=None):
        """One pass over ``inputs``: what the task type's strategies read."""

    def inference_for(self, strategy, inputs, mc_passes, rng):
        """:meth:`infer` with what ``strategy`` reads: ``mc_passes`` stochastic passes for the MC strategies."""
        return self.infer(inputs, mc_passes=mc_passes if strategy in MC_STRATEGIES else 0, rng=rng)

    @abstractmethod
    def scores(self, strategy, inference, rng, labeled_embeddings=None, batch_size=None):
        """Acquisition scores of shape ``(len(inputs),)`` (lower = label first) from :meth:`infer`'s answer."""

    def embed(self, inputs):
        """Pooled inputs of the head, shape ``(len(inputs), hidden_size)``."""
        return self.infer(inputs).embeddings

    @abstractmethod
    def save(self, folder):
        """Write the weights into ``folder`` (device-free)."""

    @classmethod
    @abstractmethod
    def load(cls, folder, card, runtime=CPU):
        """What :meth:`save` wrote into ``folder``, on ``runtime``'s device."""


def save_head(head, folder):
    """Write a linear ``head``'s weights into ``folder``."""
    save_file({k: v.detach().cpu().contiguous() for k, v in head.state_dict().items()}, str(folder / HEAD_WEIGHTS))


def with_saved_head(module_class, encoder, folder):
    """A ``module_class`` of ``encoder`` and the head saved in ``folder``."""
    head = load_file(str(folder / HEAD_WEIGHTS))
    module = module_class(encoder, head['weight'].shape[0])
    module.head.load_state_dict(head)
    return module

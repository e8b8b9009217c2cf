"""Image classification: one ``<Choices>`` over one ``<Image>``."""
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from model.classification import Classification
from model.device import CPU
from model.image_classification.network import default_image_model
from model.image_classification.predictor import ImagePredictor
from model.image_classification.training import IMAGE_CLASSIFICATION, fine_tune_images, image_embedder
from model.images import ImageUnreadable, read_image
from model.label_config import image_field

READ_THREADS = 8
"""Images fetched and decoded at once (downloads wait on the network, decoding releases the GIL)."""


def _named(value):
    """An image's URL as a reason may show it: without its query (a presigned URL's signature)."""
    return value.split('?', 1)[0][:200]


@dataclass(frozen=True)
class ImageClassification(Classification):
    """Choices over an image. Examples are ``{"task", "image", "choices"}``, ``image`` the task's URL or path;
    :meth:`loaded` examples also hold its ``pixels``."""

    NAME = IMAGE_CLASSIFICATION
    MODEL = ImagePredictor
    OBJECT = 'Image'
    BASE_MODEL = 'image_model'
    INPUT = 'image'
    # A convolutional encoder takes a higher rate than a transformer, and more passes: on MNIST at 64 px,
    # 200 labels reached 0.90-0.94 with 10 epochs against 0.84-0.91 with 3 (benchmarks/README.md).
    RECIPE = {'learning_rate': 3e-4, 'epochs': 10}
    # On MNIST (3 seeds) margin was the only strategy ahead of random; bald trailed it by 2.3 AULC points.
    DEFAULT_STRATEGY = 'margin'

    field_of = staticmethod(image_field)
    default_weights = staticmethod(default_image_model)
    pretrained_embedder = staticmethod(image_embedder)

    def read(self, tasks, reader):
        """Each task's image as RGB ``uint8`` of ``reader.image_size``; an image that cannot be fetched
        or decoded is skipped with the reason."""
        return self._read([self.input_of(task, reader) for task in tasks], [task.get('id') for task in tasks],
                          reader)

    def loaded(self, examples, reader):
        pixels, reasons = self._read([e['image'] for e in examples], [e['task'] for e in examples], reader)
        kept = [{**e, 'pixels': p} for e, p in zip(examples, pixels) if p is not None]
        return kept, [f'task {e["task"]}: {reason}' for e, reason in zip(examples, reasons) if reason]

    def model_input(self, example):
        return example['pixels']

    def fine_tune(self, base_model, examples, training, runtime=CPU):
        return fine_tune_images(base_model, [e['pixels'] for e in examples], [e['choices'] for e in examples],
                                list(self.labels), multi_label=self.multi_label, config=training, runtime=runtime)

    def _read(self, values, task_ids, reader):
        def one(value, task_id):
            reason = self.skip_reason(value, reader)
            if reason:
                return None, reason
            try:
                path = reader.fetch(value, task_id) if reader.fetch else value
                return read_image(path, reader.image_size, reader.max_image_pixels, reader.max_image_bytes), None
            except ImageUnreadable as error:
                return None, f'image {_named(value)}: {error}'

        with ThreadPoolExecutor(min(READ_THREADS, max(1, len(values)))) as pool:
            found = list(pool.map(one, values, task_ids))
        return [image for image, _ in found], [reason for _, reason in found]

"""Image classification: one ``<Choices>`` over one ``<Image>``."""
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from model.device import CPU
from model.image_predictor import IMAGE_CLASSIFICATION, fine_tune_images, image_embedder
from model.images import ImageUnreadable, read_image
from model.task_types.classification import Classification
from model.task_types.label_config import LabelConfigError

READ_THREADS = 8
"""Images fetched and decoded at once (downloads wait on the network, decoding releases the GIL)."""


def image_field(image):
    """The task data key an ``<Image value="$field">`` shows."""
    value = image.get('value', '')
    if not value.startswith('$') or len(value) < 2 or image.get('valueList'):
        raise LabelConfigError(f'label_config: <Image name="{image.get("name")}"> must show one image from a task '
                               f'field, like value="$image" (found value="{value}"'
                               f'{", valueList" if image.get("valueList") else ""})')
    return value[1:]


def _named(value):
    """An image's URL as a reason may show it: without its query (a presigned URL's signature)."""
    return value.split('?', 1)[0][:200]


@dataclass(frozen=True)
class ImageClassification(Classification):
    """Choices over an image. Examples are ``{"task", "image", "choices"}``, ``image`` the task's URL or path;
    :meth:`loaded` examples also hold its ``pixels``."""

    NAME = IMAGE_CLASSIFICATION
    OBJECT = 'Image'
    BASE_MODEL = 'image_model'
    INPUT = 'image'
    # A convolutional encoder takes a higher rate than a transformer, and more passes: on MNIST at 64 px,
    # 200 labels reached 0.90-0.94 with 10 epochs against 0.84-0.91 with 3 (benchmarks/README.md).
    RECIPE = {'learning_rate': 3e-4, 'epochs': 10}
    # On MNIST (3 seeds) margin was the only strategy ahead of random; bald trailed it by 2.3 AULC points.
    DEFAULT_STRATEGY = 'margin'

    field_of = staticmethod(image_field)

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

    def pretrained_embedder(self, base_model, training, runtime=CPU):
        return image_embedder(base_model, training.image_size, runtime)

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

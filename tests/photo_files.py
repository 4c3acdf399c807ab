"""Photos as residents' phones and hostile senders make them, built with Pillow for the tests."""

from __future__ import annotations

import io
import os
import struct
import zlib

from PIL import Image, ImageCms

# Where the photo was taken, as a phone writes it: 60° 10' 12.5" N, 24° 56' 30" E.
GPS_LATITUDE = (60.0, 10.0, 12.5)
GPS_LONGITUDE = (24.0, 56.0, 30.0)
GPS_IFD = 0x8825
ORIENTATION = 0x0112
# EXIF orientation 6: the camera was held upright, so the stored pixels lie on their side.
ROTATED_90 = 6
CAMERA_MODEL = "Transit Phone 9"


def phone_jpeg(width: int = 3000, height: int = 2000) -> bytes:
    """A JPEG as a phone writes it: GPS position, orientation, camera make and model, an ICC
    profile, a comment and XMP."""
    image = Image.new("RGB", (width, height), (180, 40, 40))
    exif = Image.Exif()
    exif[ORIENTATION] = ROTATED_90
    exif[0x010F] = "Transit Phones Ltd"
    exif[0x0110] = CAMERA_MODEL
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2], gps[3], gps[4] = "N", GPS_LATITUDE, "E", GPS_LONGITUDE
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    output = io.BytesIO()
    image.save(
        output,
        "JPEG",
        exif=exif,
        icc_profile=profile,
        comment=b"home of the photographer",
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret edit history</x:xmpmeta>',
    )
    return output.getvalue()


def encoded(image_format: str, width: int, height: int, mode: str = "RGB", **options) -> bytes:
    """A plain image of one colour in ``image_format`` (PNG, WEBP, JPEG)."""
    colour = (20, 120, 200, 128) if mode == "RGBA" else (20, 120, 200)
    output = io.BytesIO()
    Image.new(mode, (width, height), colour).save(output, image_format, **options)
    return output.getvalue()


def noise_png(size_bytes: int) -> bytes:
    """A valid PNG of random pixels at least ``size_bytes`` long (noise does not compress)."""
    side = int((size_bytes / 3) ** 0.5) + 1
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    output = io.BytesIO()
    image.save(output, "PNG", compress_level=0)
    return output.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int, height: int) -> bytes:
    """A real decompression bomb: a black one-bit PNG of ``width`` × ``height`` pixels, a few
    kilobytes on the wire and gigabytes once decoded to colour."""
    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )

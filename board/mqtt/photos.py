"""Photos sent over MQTT: base64 JPEG or PNG, size-limited, proven by decoding.

A photo is decoded once on arrival, so a file the screen cannot draw never gets
stored, and its header is read first, so a small file that would decode into a
huge bitmap (a decompression bomb) is refused before any pixel is allocated.
"""

import base64
import binascii
import io
import os
import struct
import uuid
from dataclasses import dataclass
from pathlib import Path

PHOTO_MAX_BYTES = 2 * 1024 * 1024
PHOTO_MAX_SIDE = 4096  # pixels; phone photos fit, bitmaps the Pi cannot hold do not

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"
# JPEG start-of-frame markers (baseline, progressive, ...) carry the image size.
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


@dataclass(frozen=True)
class Photo:
    data: bytes
    format: str  # "jpeg" or "png": also the file extension

    def save(self, directory: Path) -> Path:
        """Store under a generated name (never one the sender chose) and return the path."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{uuid.uuid4().hex}.{self.format}"
        partial = path.with_suffix(".partial")
        partial.write_bytes(self.data)
        os.replace(partial, path)
        return path


def _png_size(data: bytes) -> tuple[int, int]:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise ValueError("the PNG has no header")
    return struct.unpack(">II", data[16:24])


def _jpeg_size(data: bytes) -> tuple[int, int]:
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            raise ValueError("the JPEG is damaged")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        (length,) = struct.unpack(">H", data[position + 2:position + 4])
        if marker in _JPEG_SOF:
            if position + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[position + 5:position + 9])
            return width, height
        position += 2 + length
    raise ValueError("the JPEG has no frame header")


def decode_photo(text: str) -> Photo:
    """Turn the base64 text of a request into a checked Photo, or raise ValueError."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("photo is not valid base64") from None
    if len(data) > PHOTO_MAX_BYTES:
        raise ValueError(f"photo is larger than {PHOTO_MAX_BYTES} bytes")
    if data.startswith(_PNG_SIGNATURE):
        photo_format, (width, height) = "png", _png_size(data)
    elif data.startswith(_JPEG_SIGNATURE):
        photo_format, (width, height) = "jpeg", _jpeg_size(data)
    else:
        raise ValueError("photo must be a JPEG or PNG image")
    if not (0 < width <= PHOTO_MAX_SIDE and 0 < height <= PHOTO_MAX_SIDE):
        raise ValueError(f"photo must be at most {PHOTO_MAX_SIDE}x{PHOTO_MAX_SIDE} pixels, not {width}x{height}")
    _decode_pixels(data, photo_format)
    return Photo(data, photo_format)


def _decode_pixels(data: bytes, photo_format: str) -> None:
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame  # the screen's own decoder: what it cannot load, it cannot show

    try:
        pygame.image.load(io.BytesIO(data), f"photo.{photo_format}")
    except (pygame.error, ValueError, OSError) as error:
        raise ValueError(f"photo cannot be decoded: {error}") from None

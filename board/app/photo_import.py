"""A photo file from a phone or camera, made fit for the wall.

Phones store pictures sideways with an EXIF note to turn them, at 12-48
megapixels; the screen wants an upright picture of a few hundred pixels. The
result goes through the same check and storage as a photo sent over MQTT.
"""

import base64
import io
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from board.core.errors import CommandError
from board.mqtt.photos import Photo, decode_photo

PHOTO_SIDE = 1024  # pixels, the longer side: sharp on a 4K screen's polaroid, small on disk
FILE_MAX_BYTES = 40 * 1024 * 1024
PIXELS_MAX = 64_000_000  # a 48 MP phone photo fits; a decompression bomb does not


def photo_from_file(path: Path) -> Photo:
    """Upright (EXIF orientation applied), at most PHOTO_SIDE pixels, re-encoded as JPEG."""
    try:
        if path.stat().st_size > FILE_MAX_BYTES:
            raise ValueError(f"larger than {FILE_MAX_BYTES // (1024 * 1024)} MB")
        with Image.open(path) as image:
            if image.width * image.height > PIXELS_MAX:
                raise ValueError(f"{image.width}x{image.height} pixels is too large")
            upright = ImageOps.exif_transpose(image).convert("RGB")
        upright.thumbnail((PHOTO_SIDE, PHOTO_SIDE), Image.Resampling.LANCZOS)
        encoded = io.BytesIO()
        upright.save(encoded, "JPEG", quality=88, optimize=True)
        return decode_photo(base64.b64encode(encoded.getvalue()).decode("ascii"))
    except (OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise CommandError.said("invalid_photo", "error.photo", path=path, detail=exc) from None

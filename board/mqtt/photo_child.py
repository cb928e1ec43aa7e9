"""Decode one untrusted photo in a child process with little memory and CPU time.

`python -m board.mqtt.photo_child` reads the image on stdin and writes a JPEG of
at most PHOTO_SIDE pixels a side on stdout: orientation applied, EXIF and every
other metadata left out. It limits itself before reading a byte, so a decoder bug
or a decompression bomb ends this process, never the wall. On refusal it prints
the reason on stderr and exits with 1.
"""

import io
import resource
import sys

PHOTO_SIDE = 1024  # pixels: the largest polaroid on a 4K screen needs less
MAX_DECODED_SIDE = 4096  # what the header may claim; phone photos fit
MEMORY_LIMIT = 512 * 1024 * 1024  # address space, bytes
CPU_SECONDS = 20


def reencode(data: bytes) -> bytes:
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = None  # the size is checked below, with a message that says which
    with Image.open(io.BytesIO(data), formats=["JPEG", "PNG"]) as image:
        width, height = image.size
        if not (0 < width <= MAX_DECODED_SIDE and 0 < height <= MAX_DECODED_SIDE):
            raise ValueError(
                f"photo must be at most {MAX_DECODED_SIDE}x{MAX_DECODED_SIDE} pixels, not {width}x{height}"
            )
        image.draft("RGB", (PHOTO_SIDE, PHOTO_SIDE))  # a JPEG decodes at 1/2, 1/4, 1/8 size: less memory
        upright = ImageOps.exif_transpose(image).convert("RGB")
    upright.thumbnail((PHOTO_SIDE, PHOTO_SIDE))
    out = io.BytesIO()
    upright.save(out, "JPEG", quality=85, optimize=True)  # no exif= argument: no metadata
    return out.getvalue()


def main() -> int:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    try:
        sys.stdout.buffer.write(reencode(sys.stdin.buffer.read()))
    except MemoryError:
        print("photo needs more memory to decode than a photo may", file=sys.stderr)
        return 1
    except Exception as error:  # whatever the decoder says about an untrusted file
        print(f"photo cannot be decoded: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

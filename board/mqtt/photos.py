"""Photos sent over MQTT: base64 JPEG or PNG, size-limited, decoded apart.

A photo is decoded once on arrival, in a child process limited in memory and CPU
(`photo_child`), which checks the decoded size before it allocates a pixel and
re-encodes it to a small upright JPEG without metadata: only that is stored, so
a file the screen cannot draw, a decompression bomb or a GPS position in the EXIF
never reaches the wall's disk.
"""

import base64
import binascii
import os
import shutil
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from board.core.errors import WallboardError

PHOTO_MAX_BYTES = 2 * 1024 * 1024
DECODE_TIMEOUT = 30  # seconds, wall-clock; the child's CPU limit usually ends it first
_ONE_DECODE_AT_A_TIME = threading.Lock()

PHOTO_QUOTA_BYTES = 200 * 2**20  # all photos together: some 2,000 people at ~100 kB
FREE_SPACE_RESERVE_BYTES = 256 * 2**20  # never fill the disk the event log needs with photos


class NoRoomForPhoto(WallboardError, OSError):
    """The photo quota is used up, or the disk is nearly full."""


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"


@dataclass(frozen=True)
class Photo:
    data: bytes
    format: str  # "jpeg" or "png": also the file extension

    def save(self, directory: Path) -> Path:
        """Store under a generated name (never one the sender chose) and return the path.

        Refused with NoRoomForPhoto when the photos would exceed their quota, or the disk
        would keep less free than the database's reserve.
        """
        directory.mkdir(parents=True, exist_ok=True)
        used = sum(entry.stat().st_size for entry in directory.iterdir() if entry.is_file())
        if used + len(self.data) > PHOTO_QUOTA_BYTES:
            raise NoRoomForPhoto(
                f"the photos would use more than their quota of {PHOTO_QUOTA_BYTES // 2**20} MiB; "
                "archive people who left, or send smaller photos"
            )
        if shutil.disk_usage(directory).free - len(self.data) < FREE_SPACE_RESERVE_BYTES:
            raise NoRoomForPhoto(
                f"the disk keeps {FREE_SPACE_RESERVE_BYTES // 2**20} MiB free for the database; no room for a photo"
            )
        path = directory / f"{uuid.uuid4().hex}.{self.format}"
        partial = path.with_suffix(".partial")
        partial.write_bytes(self.data)
        os.replace(partial, path)
        return path


def decode_photo(text: str) -> Photo:
    """Turn the base64 text of a request into a checked, re-encoded Photo, or raise ValueError."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("photo is not valid base64") from None
    if len(data) > PHOTO_MAX_BYTES:
        raise ValueError(f"photo is larger than {PHOTO_MAX_BYTES} bytes")
    if not data.startswith((_PNG_SIGNATURE, _JPEG_SIGNATURE)):
        raise ValueError("photo must be a JPEG or PNG image")
    return Photo(_reencode_in_child(data), "jpeg")


def _reencode_in_child(data: bytes) -> bytes:
    """One decode at a time, each in its own limited process (see photo_child)."""
    with _ONE_DECODE_AT_A_TIME:
        try:
            child = subprocess.run(
                [sys.executable, "-m", "board.mqtt.photo_child"],
                input=data,
                capture_output=True,
                timeout=DECODE_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            raise ValueError(f"photo took longer than {DECODE_TIMEOUT} s to decode") from None
    if child.returncode != 0:
        reason = child.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ValueError(reason[-1] if reason else f"photo cannot be decoded (decoder ended with {child.returncode})")
    return child.stdout


def remove_orphans(directory: Path, referenced: set[str]) -> list[str]:
    """Delete photos no person refers to (left by a write that failed or a crash) and half-written ones."""
    if not directory.is_dir():
        return []
    removed = []
    for entry in directory.iterdir():
        if entry.is_file() and entry.name not in referenced:
            entry.unlink()
            removed.append(entry.name)
    return removed

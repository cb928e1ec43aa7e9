"""Tag UIDs arrive as "04:a2:1b...", "04 A2 1B" or bytes; we store one form."""

import re

_SEPARATORS = re.compile(r"[\s:\-]")
_HEX = re.compile(r"[0-9A-F]+")
# ISO 14443-A UIDs are 4, 7 or 10 bytes; single-size 4-byte NUIDs included.
UID_LENGTHS = (4, 7, 10)


def normalise_uid(raw: str | bytes | bytearray) -> str:
    """Return the UID as upper-case hex without separators, or raise ValueError."""
    if isinstance(raw, (bytes, bytearray)):
        text = raw.hex().upper()
    else:
        text = _SEPARATORS.sub("", str(raw)).upper()
    if not _HEX.fullmatch(text) or len(text) % 2:
        raise ValueError(f"not a tag UID: {raw!r}")
    if len(text) // 2 not in UID_LENGTHS:
        raise ValueError(f"a tag UID has 4, 7 or 10 bytes, not {len(text) // 2}: {raw!r}")
    return text

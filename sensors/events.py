"""What the scanner tells the board: debounced presence, and reader health."""

from dataclasses import dataclass


@dataclass(frozen=True)
class TagSeen:
    reader: str
    uid: str


@dataclass(frozen=True)
class TagGone:
    reader: str
    uid: str


@dataclass(frozen=True)
class ReaderOffline:
    reader: str
    error: str


@dataclass(frozen=True)
class ReaderOnline:
    reader: str


SensorEvent = TagSeen | TagGone | ReaderOffline | ReaderOnline

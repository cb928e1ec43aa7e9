"""Simulated readers for the demo, scenario replay and tests.

Thread-safe: the demo window or MQTT `sim/reader` sets tags from one thread while
the scanner polls from another.
"""

import random
import threading
from collections.abc import Iterable

from board.core.closeable import Closeable
from board.core.errors import ReaderFault
from board.core.uid import normalise_uid


class SimulatedReader(Closeable):
    """A reader whose field holds whatever tags it was last told about."""

    def __init__(self, reader_id: str, *, miss_rate: float = 0.0, rng: random.Random | None = None):
        self.reader_id = reader_id
        self.miss_rate = miss_rate  # chance that a present tag is missed by one poll
        self._rng = rng or random.Random()
        self._tags: frozenset[str] = frozenset()
        self._fault: str | None = None
        self._lock = threading.Lock()
        self.closed = False

    @property
    def tags(self) -> frozenset[str]:
        with self._lock:
            return self._tags

    def set_tags(self, uids: Iterable[str]) -> None:
        """Put exactly these tags in the field (UIDs in any accepted form)."""
        tags = frozenset(normalise_uid(uid) for uid in uids)
        with self._lock:
            self._tags = tags

    def set_fault(self, message: str | None) -> None:
        """Make every poll fail with `message`, or heal the reader with None."""
        with self._lock:
            self._fault = message

    def poll(self) -> frozenset[str]:
        with self._lock:
            if self._fault is not None:
                raise ReaderFault(f"{self.reader_id}: {self._fault}")
            tags = self._tags
        if self.miss_rate:
            tags = frozenset(uid for uid in tags if self._rng.random() >= self.miss_rate)
        return tags

    def close(self) -> None:
        self.closed = True

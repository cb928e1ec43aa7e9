"""An in-memory outbox with the store's interface, for testing the publisher alone."""

import itertools
import threading
from collections.abc import Collection
from datetime import UTC, datetime

from board.core.events import EventType, WallEvent


class MemoryOutbox:
    def __init__(self):
        self._lock = threading.Lock()
        self._pending: dict[int, WallEvent] = {}
        self._seqs = itertools.count(1)
        self.batches: list[list[int]] = []  # the seqs of each mark_sent: one transaction in the store

    def record(self, event_type: EventType = EventType.CARD_PLACED, **fields) -> WallEvent:
        """Append an event to the log and queue it, as the store does in one transaction."""
        with self._lock:
            event = WallEvent(event_type, seq=next(self._seqs), at=datetime.now(UTC), **fields)
            self._pending[event.seq] = event
        return event

    def with_backlog(self, count: int) -> "MemoryOutbox":
        """Record `count` events before any publisher runs, as a wall does while its broker is away."""
        for _ in range(count):
            self.record()
        return self

    def pending_outbox(self, limit: int, after: int = 0) -> list[WallEvent]:
        with self._lock:
            return [self._pending[seq] for seq in sorted(self._pending) if seq > after][:limit]

    def mark_sent(self, seqs: Collection[int]) -> None:
        with self._lock:
            for seq in seqs:
                self._pending.pop(seq, None)
            self.batches.append(list(seqs))

    @property
    def sent(self) -> list[int]:
        with self._lock:
            return [seq for batch in self.batches for seq in batch]

    @property
    def empty(self) -> bool:
        with self._lock:
            return not self._pending

"""An in-memory outbox with the store's interface, for testing the publisher alone."""

import itertools
import threading
from datetime import datetime, timezone

from board.events import EventType, WallEvent


class MemoryOutbox:
    def __init__(self):
        self._lock = threading.Lock()
        self._pending: dict[int, WallEvent] = {}
        self._seqs = itertools.count(1)
        self.sent: list[int] = []

    def record(self, event_type: EventType = EventType.CARD_PLACED, **fields) -> WallEvent:
        """Append an event to the log and queue it, as the store does in one transaction."""
        with self._lock:
            event = WallEvent(event_type, seq=next(self._seqs), at=datetime.now(timezone.utc), **fields)
            self._pending[event.seq] = event
        return event

    def pending_outbox(self, limit: int) -> list[WallEvent]:
        with self._lock:
            return [self._pending[seq] for seq in sorted(self._pending)[:limit]]

    def mark_sent(self, seq: int) -> None:
        with self._lock:
            self._pending.pop(seq, None)
            self.sent.append(seq)

    @property
    def empty(self) -> bool:
        with self._lock:
            return not self._pending

"""Polls every reader each sweep and turns raw polls into debounced presence.

A raw poll is noisy: a tag at the edge of the field is missed now and then, and a
reader on a long SPI line sometimes fails. The scanner reports a tag only after
`present_after` consecutive hits and drops it only after `gone_after` consecutive
misses, so flicker never becomes a phantom move. A reader that fails is reported
offline once, keeps its tags (we do not know they left), and is retried with
exponential backoff without slowing the others. Readers that poll in steps are
polled together (`sensors.sweep`), so their radio frames overlap on air.
"""

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from board.core.errors import ReaderFault
from sensors.base import Reader, fault_text
from sensors.events import ReaderOffline, ReaderOnline, SensorEvent, TagGone, TagSeen
from sensors.sweep import poll_together

log = logging.getLogger(__name__)


@dataclass
class _ReaderTrack:
    reader: Reader
    present: set[str] = field(default_factory=set)
    hits: dict[str, int] = field(default_factory=dict)  # candidates not yet present
    misses: dict[str, int] = field(default_factory=dict)  # present tags not seen lately
    online: bool = True
    retry_at: float = 0.0
    backoff: float = 0.0


class Scanner:
    def __init__(
        self,
        readers: Mapping[str, Reader],
        *,
        present_after: int = 2,
        gone_after: int = 12,
        retry_min: float = 1.0,
        retry_max: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
        expected: Mapping[str, set[str]] | None = None,
        offline: set[str] | None = None,
    ):
        """`expected` is what the store says each reader holds; reality corrects it
        through the normal debounce, so a card taken away while the service was
        down is noticed at start. `offline` readers report online when they answer.
        """
        self.present_after = present_after
        self.gone_after = gone_after
        self.retry_min = retry_min
        self.retry_max = retry_max
        self._monotonic = monotonic
        self._tracks = {name: _ReaderTrack(reader) for name, reader in readers.items()}
        for name, uids in (expected or {}).items():
            if name in self._tracks:
                self._tracks[name].present = set(uids)
        for name in offline or ():
            if name in self._tracks:
                self._tracks[name].online = False

    def sweep(self) -> list[SensorEvent]:
        """Poll every reader once (skipping those waiting for a retry), together where they can."""
        events: list[SensorEvent] = []
        now = self._monotonic()
        due = {name: track.reader for name, track in self._tracks.items() if now >= track.retry_at}
        for name, outcome in poll_together(due).items():
            track = self._tracks[name]
            if isinstance(outcome, Exception):  # a fault, or a driver bug: neither stops the other readers
                if not isinstance(outcome, ReaderFault):
                    log.error("reader %s raised unexpectedly", name, exc_info=outcome)
                events.extend(self._failed(name, track, fault_text(outcome), now))
                continue
            if not track.online:
                track.online, track.backoff = True, 0.0
                events.append(ReaderOnline(name))
            events.extend(self._debounce(name, track, outcome))
        return events

    def present(self, name: str) -> frozenset[str]:
        return frozenset(self._tracks[name].present)

    @property
    def settled(self) -> bool:
        """True when no tag is halfway through its debounce."""
        return all(not track.hits and not track.misses for track in self._tracks.values())

    def next_retry(self) -> float | None:
        """Monotonic time of the next retry of an offline reader, if any."""
        return min((t.retry_at for t in self._tracks.values() if not t.online), default=None)

    def close(self) -> None:
        for track in self._tracks.values():
            try:
                track.reader.close()
            except Exception:
                log.exception("closing a reader failed")

    def _debounce(self, name: str, track: _ReaderTrack, seen: frozenset[str]) -> list[SensorEvent]:
        events: list[SensorEvent] = []
        for uid in sorted(track.present - seen):
            track.misses[uid] = track.misses.get(uid, 0) + 1
            if track.misses[uid] >= self.gone_after:
                del track.misses[uid]
                track.present.discard(uid)
                events.append(TagGone(name, uid))
        for uid in sorted(seen):
            if uid in track.present:
                track.misses.pop(uid, None)
                continue
            track.hits[uid] = track.hits.get(uid, 0) + 1
            if track.hits[uid] >= self.present_after:
                del track.hits[uid]
                track.present.add(uid)
                events.append(TagSeen(name, uid))
        for uid in list(track.hits):
            if uid not in seen:
                del track.hits[uid]  # hits must be consecutive
        return events

    def _failed(self, name: str, track: _ReaderTrack, error: str, now: float) -> list[SensorEvent]:
        track.hits.clear()
        track.misses.clear()
        track.backoff = min(self.retry_max, track.backoff * 2 if track.backoff else self.retry_min)
        track.retry_at = now + track.backoff
        if not track.online:
            return []
        track.online = False
        log.warning("reader %s offline: %s", name, error)
        return [ReaderOffline(name, error)]

"""Polls every reader each sweep and turns raw polls into debounced presence.

A raw poll is noisy: a tag at the edge of the field is missed now and then, and a
reader on a long SPI line sometimes fails. The scanner reports a tag only once polls
have seen it without a miss for `present_after_s` seconds and drops it only once they
have missed it without a hit for `gone_after_s`, so flicker never becomes a phantom
move, whatever the pause between sweeps. While a tag is half way through that, or a
reader saw a change in the last `stay_fast_for_s` seconds, the scanner is `busy`: the
service sweeps fast then and slowly otherwise. A reader that fails is reported
offline once, keeps its tags (we do not know they left), and is retried with
exponential backoff without slowing the others. Readers that poll in steps are
polled together (`sensors.sweep`), so their radio frames overlap on air.

On a quiet sweep (the caller says nothing moves), with `recheck_cards_every_s` set, a
reader whose cards are settled is re-checked only once that long has passed since its
last poll; empty readers, where a card is put on, are polled every sweep. A reader left
out of a sweep has neither a hit nor a miss: the debounce counts polls that ran. Off (0)
by default: a badge held against a card on a quiet wall is the wall's main interaction,
and every skipped sweep delays it (docs/readers.md).
"""

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from board.core.errors import ReaderFault
from sensors.base import Reader, fault_text
from sensors.events import ReaderOffline, ReaderOnline, SensorEvent, TagGone, TagSeen
from sensors.sweep import SweepPlan

log = logging.getLogger(__name__)


@dataclass
class _ReaderTrack:
    reader: Reader
    present: set[str] = field(default_factory=set)
    hits: dict[str, float] = field(default_factory=dict)  # candidates not yet present: first seen at
    misses: dict[str, float] = field(default_factory=dict)  # present tags not seen lately: first missed at
    online: bool = True
    polled_at: float = float("-inf")
    retry_at: float = 0.0
    backoff: float = 0.0


class Scanner:
    def __init__(
        self,
        readers: Mapping[str, Reader],
        *,
        present_after_s: float = 0.02,
        gone_after_s: float = 0.6,
        stay_fast_for_s: float = 5.0,
        recheck_cards_every_s: float = 0.0,
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
        self.present_after_s = present_after_s
        self.gone_after_s = gone_after_s
        self.stay_fast_for_s = stay_fast_for_s
        self.recheck_cards_every_s = recheck_cards_every_s
        self.sweeps = 0  # how many sweeps ran: what an idle wall costs, counted
        self.retry_min = retry_min
        self.retry_max = retry_max
        self._monotonic = monotonic
        self._tracks = {name: _ReaderTrack(reader) for name, reader in readers.items()}
        self._plan = SweepPlan(readers)
        self._last_change = monotonic()  # a start is a change: the first sweeps run fast
        self._lock = threading.Lock()
        self._resync: dict[str, set[str]] | None = None
        for name, uids in (expected or {}).items():
            if name in self._tracks:
                self._tracks[name].present = set(uids)
        for name in offline or ():
            if name in self._tracks:
                self._tracks[name].online = False

    def sweep(self, *, quiet: bool = False) -> list[SensorEvent]:
        """Poll every reader once (skipping those waiting for a retry), together where they can.

        `quiet`: nothing outside the scanner moves (no pad window, no enrollment); if the
        scanner is not busy either, readers holding settled cards polled less than
        `recheck_cards_every_s` ago sit this sweep out (none when it is 0).
        """
        self._apply_resync()
        events: list[SensorEvent] = []
        now = self._monotonic()
        self.sweeps += 1
        skip = {name for name, track in self._tracks.items() if now < track.retry_at}
        if quiet and self.recheck_cards_every_s > 0 and not self.busy():
            skip |= {
                name
                for name, track in self._tracks.items()
                if track.present and track.online and now - track.polled_at < self.recheck_cards_every_s
            }
        for name, outcome in self._plan.poll(skip=skip).items():
            track = self._tracks[name]
            track.polled_at = now
            if isinstance(outcome, Exception):  # a fault, or a driver bug: neither stops the other readers
                if not isinstance(outcome, ReaderFault):
                    log.error("reader %s raised unexpectedly", name, exc_info=outcome)
                events.extend(self._failed(name, track, fault_text(outcome), now))
                continue
            if not track.online:
                track.online, track.backoff = True, 0.0
                events.append(ReaderOnline(name))
            events.extend(self._debounce(name, track, outcome, now))
        if events:
            self._last_change = now
        return events

    def resync(self, expected: Mapping[str, set[str]]) -> None:
        """Forget what was debounced and start again from `expected` (what the record
        says each reader holds), as at start: tags that differ from it are reported
        again by the next sweeps. Safe from another thread: the next sweep applies it."""
        with self._lock:
            self._resync = {name: set(uids) for name, uids in expected.items()}

    def _apply_resync(self) -> None:
        with self._lock:
            expected, self._resync = self._resync, None
        if expected is None:
            return
        for name, track in self._tracks.items():
            track.present = set(expected.get(name, ()))
            track.hits.clear()
            track.misses.clear()

    def present(self, name: str) -> frozenset[str]:
        return frozenset(self._tracks[name].present)

    @property
    def settled(self) -> bool:
        """True when no tag is halfway through its debounce."""
        return all(not track.hits and not track.misses for track in self._tracks.values())

    def busy(self) -> bool:
        """A tag half way through its debounce, or a change within the last `stay_fast_for_s` seconds."""
        return not self.settled or self._monotonic() - self._last_change < self.stay_fast_for_s

    def next_retry(self) -> float | None:
        """Monotonic time of the next retry of an offline reader, if any."""
        return min((t.retry_at for t in self._tracks.values() if not t.online), default=None)

    def close(self) -> None:
        for track in self._tracks.values():
            try:
                track.reader.close()
            except Exception:
                log.exception("closing a reader failed")

    def _debounce(self, name: str, track: _ReaderTrack, seen: frozenset[str], now: float) -> list[SensorEvent]:
        events: list[SensorEvent] = []
        for uid in sorted(track.present - seen):
            first_missed = track.misses.setdefault(uid, now)
            if now - first_missed >= self.gone_after_s:
                del track.misses[uid]
                track.present.discard(uid)
                events.append(TagGone(name, uid))
        for uid in sorted(seen):
            if uid in track.present:
                track.misses.pop(uid, None)
                continue
            first_seen = track.hits.setdefault(uid, now)
            if now - first_seen >= self.present_after_s:
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

"""The service loop: the one owner of the wall's state and its only writer.

Sensor events (from the scanner thread) and admin work (CLI, MQTT) arrive on one
queue and are handled one at a time on the service thread, so rules never race.
Tests and scenario replay call `handle`/`tick` directly on their own thread with a
fake clock; `start` adds the threads for real use.
"""

import logging
import queue
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from datetime import datetime
from typing import Any, TypeVar

from board.core.clock import Clock, elapsed
from board.core.errors import CommandError
from board.core.events import Draft, WallEvent
from board.core.listener import BoardListener, notify
from board.core.settings import PAD, WallSettings
from board.core.snapshot import (
    Snapshot,
)
from board.core.state import Directory, PersonInfo, apply
from board.wall import rules
from board.wall.admin import AdminCommands, Enrollment
from board.wall.view import snapshot_of
from sensors.base import Reader
from sensors.events import ReaderOffline, ReaderOnline, SensorEvent, TagGone, TagSeen
from sensors.scanner import Scanner
from store.models import Attempt
from store.repository import Store

log = logging.getLogger(__name__)
T = TypeVar("T")

# How often the loop looks for writes made by another process (the CLI).
EXTERNAL_CHECK_SECONDS = 1.0
# A sweep of 33 readers with antenna_off_between_polls takes ~0.35 s; a scanner silent
# this long is stuck, and the watchdog is no longer petted (systemd restarts the wall).
SCANNER_STALLED_SECONDS = 20.0


class WallService(AdminCommands):
    def __init__(
        self,
        config: WallSettings,
        store: Store,
        readers: Mapping[str, Reader],
        clock: Clock,
        listeners: Iterable[BoardListener] = (),
        heartbeat: Callable[[], None] = lambda: None,
    ):
        """`heartbeat` is called from the service loop while the scanner keeps sweeping (systemd's watchdog)."""
        self.config = config
        self.store = store
        self.clock = clock
        self.listeners: list[BoardListener] = list(listeners)
        self.directory: Directory = store.load_directory()
        self.state, self._folded_seq = store.load_state()
        self.scanner = Scanner(
            readers,
            present_after=config.readers.present_after,
            gone_after=config.readers.gone_after,
            retry_min=config.readers.retry_min,
            retry_max=config.readers.retry_max,
            monotonic=clock.monotonic,
            expected=self._recorded_presence(),
            offline=set(self.state.offline),
        )
        self._queue: queue.Queue[SensorEvent | tuple[Callable[[], Any], Future[Any]] | None] = queue.Queue()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._message: tuple[str, datetime] | None = None
        self._enrollment: Enrollment | None = None
        self._version = 0
        self._heartbeat = heartbeat
        self._last_sweep = clock.monotonic()
        # Nothing is recorded here: a read-only look (`wallboard status`) next to the
        # running service must not write. A live wall ticks when it starts.
        self._snapshot = self._build_snapshot()

    # -- the synchronous core ------------------------------------------------------

    def handle(self, event: SensorEvent) -> list[WallEvent]:
        """Apply one sensor event's rules and record what they decide."""
        recorded = self.tick()
        now = self.clock.now()
        match event:
            case TagSeen(reader, uid) if self._enrollment and not self.directory.is_known(uid):
                recorded += self._enroll(self._enrollment, uid)
                # At the pad the tap was only for enrolling; in a slot the card has arrived.
                drafts = (
                    [] if reader == PAD else rules.tag_seen(self.state, self.directory, self.config, reader, uid, now)
                )
            case TagSeen(reader, uid):
                drafts = rules.tag_seen(self.state, self.directory, self.config, reader, uid, now)
            case TagGone(reader, uid):
                drafts = rules.tag_gone(self.state, self.directory, self.config, reader, uid, now)
            case ReaderOffline(reader, error):
                drafts = rules.reader_offline(self.state, reader, error)
            case ReaderOnline(reader):
                drafts = rules.reader_online(self.state, reader)
        recorded += self.record(drafts)
        if not drafts:
            self._publish_snapshot()  # presence changed the picture (unknown tags, lifts)
        return recorded

    def tick(self) -> list[WallEvent]:
        """Record whatever the passing of time decides (move windows, pad, period)."""
        return self.record(rules.expire(self.state, self.directory, self.config, self.clock.now()))

    def record(self, drafts: list[Draft]) -> list[WallEvent]:
        """Write drafts in one transaction, fold them into the state, tell listeners."""
        if not drafts:
            return []
        now = self.clock.now()
        with self.store.write() as writer:
            events = [writer.append(draft, now) for draft in drafts]
        self._after_write(events)
        return events

    def _after_write(self, events: list[WallEvent]) -> None:
        if events[0].seq == self._folded_seq + 1:
            for event in events:
                apply(self.state, event)
            self._folded_seq = events[-1].seq
        else:  # another process (the CLI) recorded events since our last write
            self._fold_external_writes()
        self.store.checkpoint(self.state, self._folded_seq)
        for event in events:
            notify(self.listeners, "on_event", event)
        self._publish_snapshot()

    def sweep(self) -> list[WallEvent]:
        """One sweep of the readers, handled here and now: how scenario replay steps without threads."""
        recorded = self.tick()
        for event in self.scanner.sweep():
            recorded += self.handle(event)
        return recorded

    @property
    def readers_settled(self) -> bool:
        """No tag is half way through its debounce."""
        return self.scanner.settled

    def next_reader_retry(self) -> float | None:
        """When (monotonic) a failed reader is tried again, if one failed."""
        return self.scanner.next_retry()

    def awaiting_time(self) -> bool:
        """A lifted card or an open pad window records something once its time is up."""
        return bool(self.state.lifted or self.state.pad)

    def next_deadline(self) -> datetime | None:
        moments = [rules.next_deadline(self.state, self.config)]
        if self._message:
            moments.append(self._message[1])
        if self._enrollment:
            moments.append(self._enrollment.until)
        return min((m for m in moments if m is not None), default=None)

    # -- snapshots -----------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        return self._snapshot

    def subscribe(self, listener: BoardListener) -> None:
        """Tell `listener` every event and snapshot from now on, starting with the current snapshot."""
        self.listeners = [*self.listeners, listener]  # a new list: the service thread may be iterating the old
        listener.on_snapshot(self._snapshot)

    def unsubscribe(self, listener: BoardListener) -> None:
        self.listeners = [known for known in self.listeners if known is not listener]

    # -- looking: what adapters (MQTT, the CLI) may ask -------------------------------

    def people(self) -> list[PersonInfo]:
        """Everyone ever registered, archived people too, by id."""
        return sorted(self.directory.people.values(), key=lambda person: person.id)

    def cards_of(self, person_id: int) -> list[str]:
        return sorted(uid for uid, owner in self.directory.cards.items() if owner == person_id)

    def slot_of(self, person_id: int) -> str | None:
        """Where the person's card is recorded, None for off the wall."""
        position = self.state.positions.get(person_id)
        return position[0] if position else None

    def next_period_goal(self) -> int | None:
        """The goal an admin set for the next period, if one did."""
        return self.state.next_goal

    def attempt(self, attempt_id: int) -> Attempt | None:
        return self.store.attempt(attempt_id)

    def events_since(self, seq: int, limit: int) -> list[WallEvent]:
        return self.store.events_since(seq, limit)

    def outbox_size(self) -> int:
        """Recorded events the broker has not acknowledged yet."""
        return self.store.outbox_size()

    def last_seq(self) -> int:
        return self.store.last_seq()

    def _publish_snapshot(self) -> None:
        self._version += 1
        self._snapshot = self._build_snapshot()
        notify(self.listeners, "on_snapshot", self._snapshot)

    def _build_snapshot(self) -> Snapshot:
        now = self.clock.now()
        message = self._message[0] if self._message and now < self._message[1] else None
        return snapshot_of(self.config, self.state, self.directory, version=self._version, now=now, message=message)

    def _recorded_presence(self) -> dict[str, set[str]]:
        cards_of: dict[int, list[str]] = {}
        for uid, person_id in self.directory.cards.items():
            cards_of.setdefault(person_id, []).append(uid)
        expected: dict[str, set[str]] = {}
        for person_id, (slot, _since) in self.state.positions.items():
            expected.setdefault(slot, set()).update(cards_of.get(person_id, ()))
        return expected

    # -- threads -----------------------------------------------------------------------

    def start(self) -> None:
        """Catch up with the clock, then run the scanner and the service loop on their own threads."""
        self.tick()
        self._threads = [
            threading.Thread(target=self._scan_forever, name="scanner", daemon=True),
            threading.Thread(target=self._serve_forever, name="service", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop both threads and release the readers; safe to call twice."""
        self._stopping.set()
        self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []
        self.scanner.close()

    def submit(self, fn: Callable[[], T]) -> "Future[T]":
        """Run `fn` on the service thread, between sensor events; returns its future."""
        future: Future[T] = Future()
        self._queue.put((fn, future))
        return future

    def call(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        """Run `fn` on the service thread if it runs, else right here."""
        if not self._threads:
            return fn()
        return self.submit(fn).result(timeout)

    def _scan_forever(self) -> None:
        interval = self.config.readers.poll_interval
        while not self._stopping.is_set():
            for event in self.scanner.sweep():
                self._queue.put(event)
            self._last_sweep = self.clock.monotonic()
            self._stopping.wait(interval)

    def _serve_forever(self) -> None:
        last_check = self.clock.monotonic()
        while not self._stopping.is_set():
            try:
                item = self._queue.get(timeout=self._seconds_to_wait())
            except queue.Empty:
                item = None
            if self.clock.monotonic() - self._last_sweep < SCANNER_STALLED_SECONDS:
                self._heartbeat()
            try:
                self._serve(item)
                if self.clock.monotonic() - last_check >= EXTERNAL_CHECK_SECONDS:
                    last_check = self.clock.monotonic()
                    self._catch_up_external_writes()
            except Exception:
                # Never let one bad event stop the wall: re-read the truth and go on.
                log.exception("handling %r failed; reloading state from the store", item)
                self._reload()

    def _serve(self, item: Any) -> None:
        if item is None:
            self.tick()
            if self._message and self.clock.now() >= self._message[1]:
                self._message = None
                self._publish_snapshot()
            if self._enrollment and self.clock.now() >= self._enrollment.until:
                self._enrollment.future.set_exception(CommandError("timeout", "no unknown tag was seen in time"))
                self._enrollment = None
        elif isinstance(item, tuple):
            fn, future = item
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn())
                except BaseException as exc:
                    future.set_exception(exc)
        else:
            self.handle(item)

    def _seconds_to_wait(self) -> float:
        deadline = self.next_deadline()
        wait = EXTERNAL_CHECK_SECONDS
        if deadline is not None:
            wait = min(wait, max(0.0, elapsed(self.clock.now(), deadline).total_seconds()))
        return wait

    def _catch_up_external_writes(self) -> None:
        """Pick up people, cards and coaches that the CLI added while we run."""
        if self.store.last_seq() > self._folded_seq:
            self._fold_external_writes()
            self._publish_snapshot()

    def _fold_external_writes(self) -> None:
        """Fold every event recorded after ours, in log order, and re-read who is who."""
        self.directory = self.store.load_directory()
        self.state, self._folded_seq = self.store.replay(self.state, self._folded_seq)

    def _reload(self) -> None:
        self.directory = self.store.load_directory()
        physical = self.state.present, self.state.lifted  # not in the store: keep what we saw
        self.state, self._folded_seq = self.store.load_state()
        self.state.present, self.state.lifted = physical
        self._publish_snapshot()

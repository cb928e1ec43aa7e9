"""The service loop: the one owner of the wall's state and its only writer.

Sensor events (from the scanner thread) and admin work (CLI, MQTT) arrive on one
queue and are handled one at a time on the service thread, so rules never race.
Tests and scenario replay call `handle`/`tick` directly on their own thread with a
fake clock; `start` adds the threads for real use.
"""

import itertools
import logging
import queue
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from board.core.clock import Clock, elapsed, until_utc
from board.core.errors import CommandError, StoreError
from board.core.events import Draft, EventType, WallEvent
from board.core.harvest import Harvest, Journey, PeriodSpan
from board.core.listener import BoardListener, notify
from board.core.settings import PAD, WallSettings
from board.core.snapshot import (
    Snapshot,
)
from board.core.state import Directory, PersonInfo, apply
from board.wall import rules
from board.wall.admin import AdminCommands, Enrollment
from board.wall.harvest import closing_drafts
from board.wall.reports import harvest_of, journey_of, resolve_span
from board.wall.view import snapshot_of
from sensors.base import Reader
from sensors.events import ReaderOffline, ReaderOnline, SensorEvent, TagGone, TagSeen
from sensors.scanner import Scanner
from store.repository import AttemptRecord, Store, Writer

log = logging.getLogger(__name__)
T = TypeVar("T")
# What the service thread works through: a sensor event, admin work and its future, or a wake-up.
QueueItem = SensorEvent | tuple[Callable[[], Any], Future[Any]] | None


# How often the loop looks for writes made by another process (the CLI).
EXTERNAL_CHECK_SECONDS = 1.0
SENSOR_PRIORITY, ADMIN_PRIORITY = 0, 1
EXTERNAL_EVENTS_SHOWN = 10_000  # the CLI's events a running wall looks at for a harvest to show
# A sweep of 33 readers with antenna_off_between_polls takes ~0.35 s; a scanner silent
# this long is stuck, and the watchdog is no longer petted (systemd restarts the wall).
SCANNER_STALLED_SECONDS = 20.0


@dataclass(frozen=True)
class WriteFailure:
    """The last write the database refused, until one succeeds again (health, screen)."""

    at: datetime
    error: str


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
            present_after_s=config.readers.present_after_seconds,
            gone_after_s=config.readers.gone_after_seconds,
            stay_fast_for_s=config.readers.stay_fast_for,
            recheck_cards_every_s=config.readers.recheck_cards_every,
            retry_min=config.readers.retry_min,
            retry_max=config.readers.retry_max,
            monotonic=clock.monotonic,
            expected=self._recorded_presence(),
            offline=set(self.state.offline),
        )
        # Sensor events go before admin work: a flood of requests never delays a card.
        self._queue: queue.PriorityQueue[tuple[int, int, QueueItem]] = queue.PriorityQueue()
        self._arrival = itertools.count()  # first in, first out within a priority
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._message: tuple[str, datetime] | None = None
        self._harvest: tuple[Harvest, datetime] | None = None  # on the screen until then
        self._journey: tuple[Journey, datetime] | None = None
        self._enrollment: Enrollment | None = None
        self.write_failure: WriteFailure | None = None
        self._version = 0
        self._heartbeat = heartbeat
        self._last_sweep = clock.monotonic()
        # Nothing is recorded here: a read-only look (`wallboard status`) next to the
        # running service must not write. A live wall ticks when it starts.
        self._snapshot = self._build_snapshot()

    # -- the synchronous core ------------------------------------------------------

    def handle(self, event: SensorEvent) -> list[WallEvent]:
        """Apply one sensor event's rules and record what they decide.

        A write that fails is reported and resynced in `_writing`; the readers will
        show the tag again, so the event is not lost and nothing is raised here.
        """
        try:
            return self._handle(event)
        except StoreError:
            return []

    def _handle(self, event: SensorEvent) -> list[WallEvent]:
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
                if drafts and drafts[0].type is EventType.JOURNEY_SHOWN:
                    self._show_journey(self.directory.card_owner(uid))
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
        """Record whatever the passing of time decides (move windows, pad, period); end what was shown for a while."""
        recorded = self.record(rules.expire(self.state, self.directory, self.config, self.clock.now()))
        self._end_shown()
        return recorded

    @contextmanager
    def _writing(self) -> Iterator[Writer]:
        """One write transaction. When it fails (a full disk, an I/O error) the failure
        is reported and what we believe is re-read from what was committed, and the
        scanner from what the readers see: a card placed meanwhile is seen again and
        recorded once the disk has room."""
        try:
            with self.store.write() as writer:
                yield writer
        except StoreError as exc:
            self._write_failed(exc)
            raise
        if self.write_failure is not None:
            log.info("the database takes writes again")
            self.write_failure = None
            self._publish_snapshot()

    def _write_failed(self, exc: StoreError) -> None:
        if self.write_failure is None:
            log.error("a write to the database failed; re-reading the wall and its readers", exc_info=exc)
        self.write_failure = WriteFailure(self.clock.now(), str(exc))
        self._reload(presence_from_record=True)

    def record(self, drafts: list[Draft]) -> list[WallEvent]:
        """Write drafts in one transaction, fold them into the state, tell listeners.

        A new period first closes the running one: its totals and awards are
        recorded with the new period's start, in the same transaction.
        """
        opening = next((i for i, draft in enumerate(drafts) if draft.type is EventType.PERIOD_STARTED), None)
        if opening is not None and self.state.period is not None:
            recorded = self._write(drafts[:opening])
            closing = self._closing_drafts(drafts[opening])
            return recorded + self._write(closing + drafts[opening:])
        return self._write(drafts)

    def _closing_drafts(self, opening: Draft) -> list[Draft]:
        period = self.state.period
        assert period is not None, "only a running period closes"
        new_start = datetime.fromisoformat(opening.details["starts_at"])
        closed_early = new_start < period.ends_at
        span = PeriodSpan(period.starts_at, min(period.ends_at, new_start), period.id, period.goal)
        harvest = harvest_of(self.store, self.config, span, self.directory)
        if self.config.harvest.show_hours > 0:
            self._harvest = harvest, until_utc(self.clock.now(), timedelta(hours=self.config.harvest.show_hours))
        return closing_drafts(harvest, closed_early)

    def _write(self, drafts: list[Draft]) -> list[WallEvent]:
        if not drafts:
            return []
        now = self.clock.now()
        with self._writing() as writer:
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
        # Listeners first: MQTT hands the events over in on_event, and the checkpoint
        # (a transaction of its own every `checkpoint_every` events) must not delay them.
        for event in events:
            notify(self.listeners, "on_event", event)
        try:
            self.store.checkpoint(self.state, self._folded_seq)
        except StoreError:  # only a shortcut for the next start; the events are recorded
            log.warning("could not write the checkpoint; the next start folds more of the log", exc_info=True)
        self._show_requested_harvest(events)
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
        for shown in (self._message, self._harvest, self._journey):
            if shown:
                moments.append(shown[1])
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

    def attempt(self, attempt_id: int) -> AttemptRecord | None:
        return self.store.attempt(attempt_id)

    def events_since(self, seq: int, limit: int) -> list[WallEvent]:
        return self.store.events_since(seq, limit)

    def outbox_size(self) -> int:
        """Recorded events the broker has not acknowledged yet."""
        return self.store.outbox_size()

    def pending_outbox(self, limit: int, after: int = 0) -> list[WallEvent]:
        """The oldest events the broker has not acknowledged, after seq `after`, in seq order."""
        return self.store.pending_outbox(limit, after)

    def mark_sent(self, seqs: Collection[int]) -> None:
        """Forget events the broker acknowledged, written on the service thread like every write.

        Written from the MQTT thread, a mark held the database's write lock now and then
        just as a card's event was to be written, which then slept in SQLite's busy
        handler (1, 2, 5, 10 ms ...) well past the mark's own few milliseconds.
        """
        self.call(lambda: self.store.mark_sent(seqs))

    def last_seq(self) -> int:
        return self.store.last_seq()

    def _publish_snapshot(self) -> None:
        self._version += 1
        self._snapshot = self._build_snapshot()
        notify(self.listeners, "on_snapshot", self._snapshot)

    def _build_snapshot(self) -> Snapshot:
        now = self.clock.now()
        message = self._message[0] if self._message and now < self._message[1] else None
        harvest = self._harvest[0] if self._harvest and now < self._harvest[1] else None
        journey = self._journey[0] if self._journey and now < self._journey[1] else None
        view = snapshot_of(
            self.config,
            self.state,
            self.directory,
            version=self._version,
            now=now,
            message=message,
            storage_failed=self.write_failure is not None,
        )
        return replace(view, harvest=harvest, journey=journey)

    # -- what the screen shows for a while: a harvest, someone's journey -------------------

    def show_harvest(self, period: str, seconds: float) -> WallEvent:
        """Show a period's harvest on the screen (`seconds` 0: stop showing it).

        Recorded, so a wall running in another process than the asking CLI shows it too.
        """
        span = resolve_span(self.store, self.config, period, self.clock.now())
        details = {
            "period_id": span.id,
            "starts_at": span.starts_at.isoformat(),
            "ends_at": span.ends_at.isoformat(),
            "goal": span.goal,
            "seconds": seconds,
        }
        return self.record([Draft(EventType.HARVEST_SHOWN, details=details)])[0]

    def _show_requested_harvest(self, events: list[WallEvent]) -> None:
        for event in events:
            if event.type is not EventType.HARVEST_SHOWN:
                continue
            details = event.details
            until = until_utc(event.at, timedelta(seconds=details["seconds"]))
            if until <= self.clock.now():
                self._harvest = None
                continue
            span = PeriodSpan(
                datetime.fromisoformat(details["starts_at"]),
                datetime.fromisoformat(details["ends_at"]),
                details["period_id"],
                details["goal"],
            )
            self._harvest = harvest_of(self.store, self.config, span, self.directory), until

    def show_last_harvest(self) -> None:
        """At start: a period that began less than `show_hours` ago still shows the last one's harvest."""
        periods = self.store.periods()
        if len(periods) < 2 or self.config.harvest.show_hours <= 0:
            return
        until = until_utc(periods[-1].starts_at, timedelta(hours=self.config.harvest.show_hours))
        if self.clock.now() < until:
            self._harvest = harvest_of(self.store, self.config, periods[-2], self.directory), until
            self._publish_snapshot()

    def _show_journey(self, person: PersonInfo | None) -> None:
        """Their own card on the pad: the screen tells the person their story (the log only that it happened)."""
        if person is None:
            return
        until = until_utc(self.clock.now(), timedelta(seconds=self.config.harvest.journey_seconds))
        self._journey = journey_of(self.store, self.config, person), until

    def _end_shown(self) -> None:
        """A message, a harvest or a journey whose time on the screen is over goes."""
        now = self.clock.now()
        ended = False
        if self._message and now >= self._message[1]:
            self._message, ended = None, True
        if self._harvest and now >= self._harvest[1]:
            self._harvest, ended = None, True
        if self._journey and now >= self._journey[1]:
            self._journey, ended = None, True
        if ended:
            self._publish_snapshot()

    def _recorded_presence(self) -> dict[str, set[str]]:
        """The tags each reader holds according to the record."""
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
        self.show_last_harvest()
        self._threads = [
            threading.Thread(target=self._scan_forever, name="scanner", daemon=True),
            threading.Thread(target=self._serve_forever, name="service", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop both threads and release the readers; safe to call twice."""
        self._stopping.set()
        self._put(SENSOR_PRIORITY, None)
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []
        self.scanner.close()

    def submit(self, fn: Callable[[], T]) -> "Future[T]":
        """Run `fn` on the service thread, between sensor events; returns its future."""
        future: Future[T] = Future()
        self._put(ADMIN_PRIORITY, (fn, future))
        return future

    def put_sensor_event(self, event: SensorEvent) -> None:
        """Queue a sensor event for the service thread, ahead of any admin work waiting."""
        self._put(SENSOR_PRIORITY, event)

    def _put(self, priority: int, item: "QueueItem") -> None:
        self._queue.put((priority, next(self._arrival), item))

    def call(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        """Run `fn` on the service thread if it runs, else right here."""
        if not self._threads:
            return fn()
        return self.submit(fn).result(timeout)

    def _scan_forever(self) -> None:
        while not self._stopping.is_set():
            for event in self.scanner.sweep(quiet=not self._moving()):
                self.put_sensor_event(event)
            self._last_sweep = self.clock.monotonic()
            self._stopping.wait(self.sweep_pause())

    def sweep_pause(self) -> float:
        """Fast sweeps while anything moves, slow ones otherwise: an idle wall costs little."""
        readers = self.config.readers
        return readers.poll_interval if self._moving() else max(readers.poll_interval, readers.idle_poll_interval)

    def _moving(self) -> bool:
        """A reader's change or debounce, an open pad window, or an enrollment waiting for its tag.

        While nothing moves the sweeps are slow, and quiet: with `recheck_cards_every` set,
        settled cards are re-checked less often than empty slots are polled.
        """
        return self.scanner.busy() or bool(self.state.pad) or self._enrollment is not None

    def _serve_forever(self) -> None:
        last_check = self.clock.monotonic()
        while not self._stopping.is_set():
            try:
                _priority, _arrival, item = self._queue.get(timeout=self._seconds_to_wait())
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
            if self._enrollment and self.clock.now() >= self._enrollment.until:
                self._enrollment.future.set_exception(CommandError.said("timeout", "error.enroll_timeout"))
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
        external = self.store.events_since(self._folded_seq, EXTERNAL_EVENTS_SHOWN)
        self.directory = self.store.load_directory()
        self.state, self._folded_seq = self.store.replay(self.state, self._folded_seq)
        self._show_requested_harvest(external)

    def _reload(self, presence_from_record: bool = False) -> None:
        """Re-read the record. Presence is not in the store: keep what we saw, or (after a
        failed write) start again from the record and let the scanner report the difference."""
        self.directory = self.store.load_directory()
        present, lifted = self.state.present, self.state.lifted
        self.state, self._folded_seq = self.store.load_state()
        if presence_from_record:
            present = self._recorded_presence()
            self.scanner.resync(present)
        self.state.present, self.state.lifted = present, lifted
        self._publish_snapshot()

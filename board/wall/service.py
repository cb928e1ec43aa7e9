"""The service loop: the one owner of the wall's state and its only writer.

Sensor events (from the scanner thread) and admin work (CLI, MQTT) arrive on one
queue and are handled one at a time on the service thread, so rules never race.
Tests and scenario replay call `handle`/`tick` directly on their own thread with a
fake clock; `start` adds the threads for real use.
"""

import logging
import queue
import re
import threading
from dataclasses import dataclass
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from datetime import datetime, timedelta
from typing import Any, TypeVar

from board.wall import rules
from board.wall.harvest import closing_drafts
from board.wall.reports import harvest_of, journey_of, resolve_span
from board.core.harvest import Harvest, Journey, PeriodSpan
from board.core.clock import Clock, elapsed, later
from board.core.settings import PAD, WallSettings
from board.core.errors import CommandError
from board.core.events import Draft, EventType, WallEvent
from board.core.listener import BoardListener, notify
from board.core.state import CoachInfo, Directory, PersonInfo, apply
from board.core.snapshot import (
    AttemptView,
    LevelView,
    PadWindowView,
    PeriodView,
    PersonView,
    SlotStatus,
    SlotView,
    Snapshot,
)
from sensors.base import Reader
from sensors.events import ReaderOffline, ReaderOnline, SensorEvent, TagGone, TagSeen
from sensors.scanner import Scanner
from board.core.uid import normalise_uid
from store.repository import Store

log = logging.getLogger(__name__)
T = TypeVar("T")

NAME_MAX = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# How often the loop looks for writes made by another process (the CLI).
EXTERNAL_CHECK_SECONDS = 1.0
EXTERNAL_EVENTS_SHOWN = 10_000  # the CLI's events a running wall looks at for a harvest to show


def clean_name(name: str) -> str:
    """A person's or coach's name as we store it, or CommandError."""
    name = " ".join(name.split())
    if not name:
        raise CommandError.said("invalid_name", "error.name_empty")
    if len(name) > NAME_MAX:
        raise CommandError.said("invalid_name", "error.name_long", max=NAME_MAX)
    if _CONTROL.search(name):
        raise CommandError.said("invalid_name", "error.name_control")
    return name


def clean_uid(uid: str) -> str:
    try:
        return normalise_uid(uid)
    except ValueError as exc:
        raise CommandError.said("invalid_uid", "error.uid", detail=str(exc)) from None


@dataclass
class Enrollment:
    """card/enroll: the next unknown tag seen at any reader becomes this person's card."""

    person_id: int
    until: datetime
    future: "Future[PersonInfo]"


class WallService:
    def __init__(self, config: WallSettings, store: Store, readers: Mapping[str, Reader], clock: Clock,
                 listeners: Iterable[BoardListener] = ()):
        self.config = config
        self.store = store
        self.clock = clock
        self.listeners: list[BoardListener] = list(listeners)
        self.people: Directory = store.load_directory()
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
        self._queue: queue.Queue = queue.Queue()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._message: tuple[str, datetime] | None = None
        self._harvest: tuple[Harvest, datetime] | None = None  # on the screen until then
        self._journey: tuple[Journey, datetime] | None = None
        self._enrollment: Enrollment | None = None
        self._version = 0
        # Nothing is recorded here: a read-only look (`wallboard status`) next to the
        # running service must not write. A live wall ticks when it starts.
        self._snapshot = self._build_snapshot()

    # -- the synchronous core ------------------------------------------------------

    def handle(self, event: SensorEvent) -> list[WallEvent]:
        """Apply one sensor event's rules and record what they decide."""
        recorded = self.tick()
        now = self.clock.now()
        match event:
            case TagSeen(reader, uid) if self._enrollment and not self.people.is_known(uid):
                recorded += self._enroll(uid)
                # At the pad the tap was only for enrolling; in a slot the card has arrived.
                drafts = [] if reader == PAD else rules.tag_seen(
                    self.state, self.people, self.config, reader, uid, now)
            case TagSeen(reader, uid):
                drafts = rules.tag_seen(self.state, self.people, self.config, reader, uid, now)
                if drafts and drafts[0].type is EventType.JOURNEY_SHOWN:
                    self._show_journey(self.people.card_owner(uid))
            case TagGone(reader, uid):
                drafts = rules.tag_gone(self.state, self.people, self.config, reader, uid, now)
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
        recorded = self.record(rules.expire(self.state, self.people, self.config, self.clock.now()))
        self._end_shown()
        return recorded

    def _show_journey(self, person: PersonInfo) -> None:
        """Their own card on the pad: the screen tells the person their story (the log only that it happened)."""
        until = later(self.clock.now(), timedelta(seconds=self.config.harvest.journey_seconds))
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
        new_start = datetime.fromisoformat(opening.details["starts_at"])
        closed_early = new_start < period.ends_at
        span = PeriodSpan(period.starts_at, min(period.ends_at, new_start), period.id, period.goal)
        harvest = harvest_of(self.store, self.config, span, self.people)
        if self.config.harvest.show_hours > 0:
            self._harvest = harvest, later(self.clock.now(), timedelta(hours=self.config.harvest.show_hours))
        return closing_drafts(harvest, closed_early)

    def _write(self, drafts: list[Draft]) -> list[WallEvent]:
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
        self._show_requested_harvest(events)
        self._publish_snapshot()

    def next_deadline(self) -> datetime | None:
        moments = [rules.next_deadline(self.state, self.config)]
        if self._message:
            moments.append(self._message[1])
        if self._harvest:
            moments.append(self._harvest[1])
        if self._journey:
            moments.append(self._journey[1])
        if self._enrollment:
            moments.append(self._enrollment.until)
        return min((m for m in moments if m is not None), default=None)

    # -- snapshots -----------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        return self._snapshot

    def _publish_snapshot(self) -> None:
        self._version += 1
        self._snapshot = self._build_snapshot()
        notify(self.listeners, "on_snapshot", self._snapshot)

    def _build_snapshot(self) -> Snapshot:
        now = self.clock.now()
        state, people = self.state, self.people
        occupants = {slot: person_id for person_id, (slot, _since) in state.positions.items()
                     if person_id not in state.lifted}
        levels = tuple(
            LevelView(level.id, level.name, tuple(self._slot_view(slot, occupants.get(slot)) for slot in level.slots))
            for level in self.config.levels
        )
        period = state.period
        if period is not None:
            period_view = PeriodView(period.id, period.starts_at, period.ends_at, period.goal, period.count,
                                     period.count_since(rules.start_of_day(self.config, now)))
        else:  # no wall has run yet: show the period it will open, empty
            starts_at, ends_at = rules.period_bounds(self.config, now)
            period_view = PeriodView(0, starts_at, ends_at, rules.next_goal(state, self.config), 0, 0)
        recent = tuple(
            AttemptView(a.id, self._name(a.person_id), people.coaches[a.coach_id].name if a.coach_id in people.coaches
                        else "", a.at)
            for a in state.recent
        )
        moved_up = tuple(self._name(p) for p, _at in sorted(state.moved_up.items(), key=lambda item: item[1]))
        pad = None
        if state.pad and state.pad.coach_id in people.coaches:
            pad = PadWindowView(people.coaches[state.pad.coach_id].name, state.pad.until)
        message = self._message[0] if self._message and now < self._message[1] else None
        harvest = self._harvest[0] if self._harvest and now < self._harvest[1] else None
        journey = self._journey[0] if self._journey and now < self._journey[1] else None
        return Snapshot(self._version, self.config.board_id, self.config.language, now, levels, period_view,
                        recent, moved_up, pad, message, tuple(sorted(state.offline)), harvest, journey)

    def _slot_view(self, slot: str, person_id: int | None) -> SlotView:
        person = None
        moved_at = None
        if person_id is not None:
            info = self.people.people.get(person_id)
            if info is not None:
                person = PersonView(info.id, info.name, self._photo_path(info.photo))
                moved_at = self.state.moved.get(person_id)
        unknown = sorted(uid for uid in self.state.present.get(slot, ()) if not self.people.is_known(uid))
        if slot in self.state.offline:
            status = SlotStatus.OFFLINE
        elif person is not None:
            status = SlotStatus.OCCUPIED
        elif unknown:
            status = SlotStatus.UNKNOWN
        else:
            status = SlotStatus.EMPTY
        return SlotView(slot, status, person, unknown[0] if unknown else None, moved_at)

    def _photo_path(self, photo: str | None) -> str | None:
        if not photo:
            return None
        return str(self.config.photos_dir / photo)

    def _name(self, person_id: int) -> str:
        info = self.people.people.get(person_id)
        return info.name if info else "?"

    def _recorded_presence(self) -> dict[str, set[str]]:
        cards_of: dict[int, list[str]] = {}
        for uid, person_id in self.people.cards.items():
            cards_of.setdefault(person_id, []).append(uid)
        expected: dict[str, set[str]] = {}
        for person_id, (slot, _since) in self.state.positions.items():
            expected.setdefault(slot, set()).update(cards_of.get(person_id, ()))
        return expected

    # -- admin work ------------------------------------------------------------------

    def add_person(self, name: str, card: str | None = None, photo: str | None = None) -> int:
        """Register a person (and their card); returns the new person id."""
        name = clean_name(name)
        uid = clean_uid(card) if card else None
        if uid:
            self._check_card_is_free(uid)
        now = self.clock.now()
        with self.store.write() as writer:
            events = [writer.add_person(name, now, photo)]
            person = PersonInfo(events[0].person_id, name, photo)
            if uid:
                events.append(writer.assign_card(uid, person, now))
        self._directory_changed(events)
        return person.id

    def add_coach(self, name: str, badge: str, person_id: int | None = None) -> int:
        name = clean_name(name)
        uid = clean_uid(badge)
        if uid in self.people.cards:
            raise CommandError.said("conflict", "error.card_not_badge", uid=uid)
        existing = self.people.coach_by_badge(uid)
        if existing is not None:
            raise CommandError.said("conflict", "error.badge_taken", uid=uid, coach=existing.name)
        person = self.person(person_id) if person_id is not None else None
        with self.store.write() as writer:
            event = writer.add_coach(name, uid, self.clock.now(), person)
        self._directory_changed([event])
        return event.coach_id

    def person(self, person_id: int) -> PersonInfo:
        info = self.people.people.get(person_id)
        if info is None:
            raise CommandError.said("not_found", "error.no_person_id", id=person_id)
        return info

    def find_person(self, key: str) -> PersonInfo:
        """A person by id or by exact (case-insensitive) name."""
        if key.isdigit():
            return self.person(int(key))
        matches = [p for p in self.people.people.values() if p.name.casefold() == key.casefold() and not p.archived]
        if len(matches) != 1:
            raise (CommandError.said("not_found", "error.no_person_named", name=key) if not matches
                   else CommandError.said("ambiguous", "error.many_named", name=key))
        return matches[0]

    def _check_card_is_free(self, uid: str) -> None:
        if self.people.coach_by_badge(uid) is not None:
            raise CommandError.said("conflict", "error.tag_is_badge", uid=uid)
        owner = self.people.card_owner(uid)
        if owner is not None:
            raise CommandError.said("conflict", "error.card_taken", uid=uid, person=owner.name)

    def _directory_changed(self, events: list[WallEvent]) -> None:
        self.people = self.store.load_directory()
        self._after_write(events)

    def show_harvest(self, period: str, seconds: float) -> WallEvent:
        """Show a period's harvest on the screen (`seconds` 0: stop showing it).

        Recorded, so a wall running in another process than the asking CLI shows it too.
        """
        span = resolve_span(self.store, self.config, period, self.clock.now())
        return self.record([Draft(EventType.HARVEST_SHOWN, details={
            "period_id": span.id, "starts_at": span.starts_at.isoformat(), "ends_at": span.ends_at.isoformat(),
            "goal": span.goal, "seconds": seconds})])[0]

    def _show_requested_harvest(self, events: list[WallEvent]) -> None:
        for event in events:
            if event.type is not EventType.HARVEST_SHOWN:
                continue
            details = event.details
            until = later(event.at, timedelta(seconds=details["seconds"]))
            if until <= self.clock.now():
                self._harvest = None
                continue
            span = PeriodSpan(datetime.fromisoformat(details["starts_at"]), datetime.fromisoformat(details["ends_at"]),
                              details["period_id"], details["goal"])
            self._harvest = harvest_of(self.store, self.config, span, self.people), until

    def show_last_harvest(self) -> None:
        """At start: a period that began less than `show_hours` ago still shows the last one's harvest."""
        periods = self.store.periods()
        if len(periods) < 2 or self.config.harvest.show_hours <= 0:
            return
        until = later(periods[-1].starts_at, timedelta(hours=self.config.harvest.show_hours))
        if self.clock.now() < until:
            self._harvest = harvest_of(self.store, self.config, periods[-2], self.people), until
            self._publish_snapshot()

    def show_message(self, text: str, seconds: float) -> datetime:
        until = later(self.clock.now(), timedelta(seconds=seconds))
        self._message = (text, until)
        self._publish_snapshot()
        return until

    def coach(self, coach_id: int) -> CoachInfo:
        info = self.people.coaches.get(coach_id)
        if info is None:
            raise CommandError.said("not_found", "error.no_coach_id", id=coach_id)
        return info

    def _active_person(self, person_id: int) -> PersonInfo:
        person = self.person(person_id)
        if person.archived:
            raise CommandError.said("conflict", "error.archived", person=person.name)
        return person

    def update_person(self, person_id: int, name: str | None = None, photo: str | None = None) -> PersonInfo:
        person = self._active_person(person_id)
        with self.store.write() as writer:
            event = writer.update_person(person, clean_name(name) if name else None, photo, self.clock.now())
        self._directory_changed([event])
        return self.person(person_id)

    def archive_person(self, person_id: int) -> PersonInfo:
        person = self._active_person(person_id)
        with self.store.write() as writer:
            event = writer.archive_person(person, self.clock.now())
        self._directory_changed([event])
        return self.person(person_id)

    def assign_card(self, person_id: int, card: str) -> PersonInfo:
        person = self._active_person(person_id)
        uid = clean_uid(card)
        self._check_card_is_free(uid)
        with self.store.write() as writer:
            event = writer.assign_card(uid, person, self.clock.now())
        self._directory_changed([event])
        return person

    def unassign_card(self, card: str) -> PersonInfo:
        uid = clean_uid(card)
        person = self.people.card_owner(uid)
        if person is None:
            raise CommandError.said("not_found", "error.card_free", uid=uid)
        with self.store.write() as writer:
            event = writer.unassign_card(uid, person, self.clock.now())
        self._directory_changed([event])
        return person

    def enroll_card(self, person_id: int, timeout: float) -> "Future[PersonInfo]":
        """Wait for the next unknown tag; the future ends with the person, or CommandError timeout."""
        person = self._active_person(person_id)
        if self._enrollment is not None:
            raise CommandError.said("conflict", "error.enrolling")
        future: Future = Future()
        future.set_running_or_notify_cancel()
        self._enrollment = Enrollment(person.id, later(self.clock.now(), timedelta(seconds=timeout)), future)
        return future

    def _enroll(self, uid: str) -> list[WallEvent]:
        enrollment, self._enrollment = self._enrollment, None
        person = self.person(enrollment.person_id)
        with self.store.write() as writer:
            event = writer.assign_card(uid, person, self.clock.now())
        self._directory_changed([event])
        enrollment.future.set_result(person)
        return [event]

    def remove_coach(self, coach_id: int) -> CoachInfo:
        coach = self.coach(coach_id)
        with self.store.write() as writer:
            event = writer.remove_coach(coach, self.clock.now())
        self._directory_changed([event])
        return coach

    def set_goal(self, goal: int, period: str = "current") -> WallEvent:
        return self.record([rules.set_goal(self.state, goal, period)])[0]

    def close_period(self) -> list[WallEvent]:
        """End the period now: returns its totals and awards, then the new period's start."""
        if self.state.period is None:
            raise CommandError.said("conflict", "error.no_period_running")
        return self.record([rules.close_period(self.state, self.config, self.clock.now())])

    def add_attempt(self, person_id: int, coach_id: int | None, reason: str) -> WallEvent:
        """An attempt an admin records by hand; the coach rules still apply."""
        person = self._active_person(person_id)
        coach = self.coach(coach_id) if coach_id is not None else None
        drafts = rules.confirm_attempt(self.state, self.people, self.config, coach, person, "manual", None,
                                       self.clock.now(), reason)
        if drafts[0].type is EventType.ATTEMPT_REJECTED:
            raise CommandError.said("conflict", "error.not_counted", reason=drafts[0].details["reason"])
        return self.record(drafts)[0]

    def void_attempt(self, attempt_id: int, reason: str) -> WallEvent:
        attempt = self.store.attempt(attempt_id)
        if attempt is None:
            raise CommandError.said("not_found", "error.no_attempt", id=attempt_id)
        if attempt.voided:
            raise CommandError.said("conflict", "error.already_voided", id=attempt_id)
        draft = Draft(EventType.ATTEMPT_VOIDED, person_id=attempt.person_id, coach_id=attempt.coach_id,
                      details={"attempt_id": attempt_id, "reason": reason, "person_name": self._name(attempt.person_id)})
        return self.record([draft])[0]

    def correct_move(self, person_id: int, slot: str | None, reason: str) -> WallEvent:
        """Put the record right when the wall and the data disagree."""
        person = self._active_person(person_id)
        if slot is not None and slot not in self.config.slot_ids:
            raise CommandError.said("not_found", "error.no_slot", slot=slot)
        recorded = self.state.positions.get(person_id)
        from_slot = recorded[0] if recorded else None
        if from_slot == slot:
            raise (CommandError.said("conflict", "error.already_in", person=person.name, slot=slot) if slot
                   else CommandError.said("conflict", "error.already_off", person=person.name))
        draft = Draft(EventType.MOVE_CORRECTED, person_id=person_id, slot_id=slot,
                      details={"person_name": person.name, "from_slot": from_slot, "to_slot": slot, "reason": reason})
        return self.record([draft])[0]

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
        self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []
        self.scanner.close()

    def submit(self, fn: Callable[[], T]) -> "Future[T]":
        """Run `fn` on the service thread, between sensor events; returns its future."""
        future: Future = Future()
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
            self._stopping.wait(interval)

    def _serve_forever(self) -> None:
        last_check = self.clock.monotonic()
        while not self._stopping.is_set():
            try:
                item = self._queue.get(timeout=self._seconds_to_wait())
            except queue.Empty:
                item = None
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
        self.people = self.store.load_directory()
        self.state, self._folded_seq = self.store.replay(self.state, self._folded_seq)
        self._show_requested_harvest(external)

    def _reload(self) -> None:
        self.people = self.store.load_directory()
        physical = self.state.present, self.state.lifted  # not in the store: keep what we saw
        self.state, self._folded_seq = self.store.load_state()
        self.state.present, self.state.lifted = physical
        self._publish_snapshot()


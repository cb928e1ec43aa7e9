"""The admin's commands (CLI, MQTT): checked first, then recorded by the service's one writer.

`AdminCommands` is a part of `WallService`, kept in its own module: a refused
command raises CommandError before anything is written.
"""

import re
from concurrent.futures import Future
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from board.core.clock import Clock, later, until_utc
from board.core.errors import CommandError
from board.core.events import Draft, EventType, WallEvent
from board.core.settings import WallSettings
from board.core.state import CoachInfo, Directory, PersonInfo, WallState
from board.core.uid import normalise_uid
from board.core.visible import has_visible_character
from board.wall import rules
from board.wall.view import name_of
from store.repository import Store, Writer

NAME_MAX = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean_name(name: str) -> str:
    """A person's or coach's name as we store it, or CommandError."""
    name = " ".join(name.split())
    if not name:
        raise CommandError.said("invalid_name", "error.name_empty")
    if len(name) > NAME_MAX:
        raise CommandError.said("invalid_name", "error.name_long", max=NAME_MAX)
    if _CONTROL.search(name):
        raise CommandError.said("invalid_name", "error.name_control")
    if not has_visible_character(name):
        raise CommandError("invalid_name", "a name needs at least one visible character")
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


class AdminCommands:
    """Registering people, cards and coaches, goals, periods, attempts and corrections."""

    # The service's, which this part of it works with.
    config: WallSettings
    store: Store
    clock: Clock
    directory: Directory
    state: WallState
    _enrollment: Enrollment | None
    _message: tuple[str, datetime] | None

    if TYPE_CHECKING:  # the service's recording, which every command ends in

        def record(self, drafts: list[Draft]) -> list[WallEvent]: ...

        def _writing(self) -> AbstractContextManager[Writer]: ...

        def _after_write(self, events: list[WallEvent]) -> None: ...

        def _publish_snapshot(self) -> None: ...

    def add_person(self, name: str, card: str | None = None, photo: str | None = None) -> int:
        """Register a person (and their card); returns the new person id."""
        name = clean_name(name)
        uid = clean_uid(card) if card else None
        now = self.clock.now()
        with self._writing() as writer:
            events = [writer.add_person(name, now, photo)]
            assert events[0].person_id is not None, "person_added names the new person"
            person = PersonInfo(events[0].person_id, name, photo)
            if uid:
                events.append(writer.assign_card(uid, person, now))
        self._directory_changed(events)
        return person.id

    def add_coach(self, name: str, badge: str, person_id: int | None = None) -> int:
        name = clean_name(name)
        uid = clean_uid(badge)
        person = self.person(person_id) if person_id is not None else None
        with self._writing() as writer:
            event = writer.add_coach(name, uid, self.clock.now(), person)
        self._directory_changed([event])
        assert event.coach_id is not None, "coach_added names the coach"
        return event.coach_id

    def person(self, person_id: int) -> PersonInfo:
        info = self.directory.people.get(person_id)
        if info is None:
            raise CommandError.said("not_found", "error.no_person_id", id=person_id)
        return info

    def find_person(self, key: str) -> PersonInfo:
        """A person by id or by exact (case-insensitive) name."""
        if key.isdigit():
            return self.person(int(key))
        matches = [p for p in self.directory.people.values() if p.name.casefold() == key.casefold() and not p.archived]
        if len(matches) != 1:
            raise (
                CommandError.said("not_found", "error.no_person_named", name=key)
                if not matches
                else CommandError.said("ambiguous", "error.many_named", name=key)
            )
        return matches[0]

    def _directory_changed(self, events: list[WallEvent]) -> None:
        self.directory = self.store.load_directory()
        self._after_write(events)

    def show_message(self, text: str, seconds: float) -> datetime:
        """Show `text` for `seconds`; returns when it ends, in the wall's time zone."""
        if not has_visible_character(text):
            raise CommandError("invalid_request", "a message needs at least one visible character")
        until = until_utc(self.clock.now(), timedelta(seconds=seconds))
        self._message = (text, until)
        self._publish_snapshot()
        return until.astimezone(self.clock.tz)

    def coach(self, coach_id: int) -> CoachInfo:
        info = self.directory.coaches.get(coach_id)
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
        with self._writing() as writer:
            event = writer.update_person(person, clean_name(name) if name else None, photo, self.clock.now())
        self._directory_changed([event])
        return self.person(person_id)

    def archive_person(self, person_id: int) -> PersonInfo:
        """Archive a person; a card/enroll waiting for them ends, it must not hand them a card."""
        person = self._active_person(person_id)
        with self._writing() as writer:
            event = writer.archive_person(person, self.clock.now())
        self._directory_changed([event])
        if self._enrollment and self._enrollment.person_id == person_id:
            self._cancel_enrollment(self._enrollment, f"{person.name} was archived; the enrollment is cancelled")
        return self.person(person_id)

    def assign_card(self, person_id: int, card: str) -> PersonInfo:
        person = self._active_person(person_id)
        uid = clean_uid(card)
        with self._writing() as writer:
            event = writer.assign_card(uid, person, self.clock.now())
        self._directory_changed([event])
        return person

    def unassign_card(self, card: str) -> PersonInfo:
        uid = clean_uid(card)
        person = self.directory.card_owner(uid)
        if person is None:
            raise CommandError.said("not_found", "error.card_free", uid=uid)
        with self._writing() as writer:
            event = writer.unassign_card(uid, person, self.clock.now())
        self._directory_changed([event])
        return person

    def enroll_card(self, person_id: int, timeout: float) -> "Future[PersonInfo]":
        """Wait for the next unknown tag; the future ends with the person, or CommandError timeout."""
        person = self._active_person(person_id)
        if self._enrollment is not None:
            raise CommandError.said("conflict", "error.enrolling")
        future: Future[PersonInfo] = Future()
        future.set_running_or_notify_cancel()
        self._enrollment = Enrollment(person.id, later(self.clock.now(), timedelta(seconds=timeout)), future)
        return future

    def _cancel_enrollment(self, enrollment: Enrollment, reason: str) -> None:
        self._enrollment = None
        enrollment.future.set_exception(CommandError("conflict", reason))

    def _enroll(self, enrollment: Enrollment, uid: str) -> list[WallEvent]:
        person = self.person(enrollment.person_id)
        if person.archived:  # archived by another process (the CLI) meanwhile
            self._cancel_enrollment(enrollment, f"{person.name} was archived; the enrollment is cancelled")
            return []
        self._enrollment = None
        with self._writing() as writer:
            event = writer.assign_card(uid, person, self.clock.now())
        self._directory_changed([event])
        enrollment.future.set_result(person)
        return [event]

    def remove_coach(self, coach_id: int) -> CoachInfo:
        """Retire a badge; the pad window it opened closes with it."""
        coach = self.coach(coach_id)
        now = self.clock.now()
        with self._writing() as writer:
            events = [writer.remove_coach(coach, now)]
            if self.state.pad is not None and self.state.pad.coach_id == coach_id:
                events.append(writer.append(rules.pad_closed(coach.id, coach.name, "coach_removed"), now))
        self._directory_changed(events)
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
        drafts = rules.confirm_attempt(
            self.state, self.directory, self.config, coach, person, "manual", None, self.clock.now(), reason
        )
        if drafts[0].type is EventType.ATTEMPT_REJECTED:
            raise CommandError.said("conflict", "error.not_counted", reason=drafts[0].details["reason"])
        return self.record(drafts)[0]

    def void_attempt(self, attempt_id: int, reason: str) -> WallEvent:
        attempt = self.store.attempt(attempt_id)
        if attempt is None:
            raise CommandError.said("not_found", "error.no_attempt", id=attempt_id)
        details = {
            "attempt_id": attempt_id,
            "reason": reason,
            "person_name": name_of(self.directory, attempt.person_id),
        }
        if attempt.coach_id is not None:
            details["coach_name"] = self.store.coach_name(attempt.coach_id)
        draft = Draft(
            EventType.ATTEMPT_VOIDED,
            person_id=attempt.person_id,
            coach_id=attempt.coach_id,
            details=details,
        )
        return self.record([draft])[0]

    def record_sun_moved(self, height: float) -> WallEvent:
        """People slid the wall's sun to `height` (0 bottom, 1 top)."""
        return self.record([Draft(EventType.SUN_MOVED, details={"height": round(min(1.0, max(0.0, height)), 3)})])[0]

    def correct_move(self, person_id: int, slot: str | None, reason: str) -> WallEvent:
        """Put the record right when the wall and the data disagree."""
        person = self._active_person(person_id)
        if slot is not None and slot not in self.config.slot_ids:
            raise CommandError.said("not_found", "error.no_slot", slot=slot)
        recorded = self.state.positions.get(person_id)
        from_slot = recorded[0] if recorded else None
        if from_slot == slot:
            raise (
                CommandError.said("conflict", "error.already_in", person=person.name, slot=slot)
                if slot
                else CommandError.said("conflict", "error.already_off", person=person.name)
            )
        draft = Draft(
            EventType.MOVE_CORRECTED,
            person_id=person_id,
            slot_id=slot,
            details={"person_name": person.name, "from_slot": from_slot, "to_slot": slot, "reason": reason},
        )
        return self.record([draft])[0]

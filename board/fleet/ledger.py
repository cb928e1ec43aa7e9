"""Writing what walls publish into the fleet database, and deriving each wall's state from its events.

Every function works inside the caller's transaction, so a batch of events and
the state derived from them commit together. Events are folded strictly in seq
order with the wall's own `board.core.state.apply`; an event after a gap waits,
stored, until the gap is filled (`Wall.max_seq > Wall.last_seq` marks one).
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from board.core.events import EventType, WallEvent
from board.core.state import WallState, apply, checkpoint_of, state_from_checkpoint
from board.fleet.models import Event, Period, Person, Wall


def _insert(session: Session, model):
    """An INSERT that can skip rows already there, in the session's dialect."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def ensure_wall(session: Session, board_id: str) -> None:
    session.execute(_insert(session, Wall).values(board_id=board_id, name=board_id).on_conflict_do_nothing())


def lock_wall(session: Session, board_id: str) -> Wall:
    """The wall's row, locked for this transaction (two collectors fold one wall one after the other).

    FOR NO KEY UPDATE: another collector can still insert this wall's events (their
    foreign key takes only a key-share lock) while this one folds.
    """
    ensure_wall(session, board_id)
    query = select(Wall).where(Wall.board_id == board_id).with_for_update(key_share=True)
    return session.execute(query).scalar_one()


def insert_events(
    session: Session, board_id: str, payloads: Iterable[dict[str, Any]], now: datetime, by: str | None = None
) -> int:
    """Store events as published; one already stored (same board_id and seq) is skipped. Returns how many are new."""
    rows = [
        {
            "board_id": board_id,
            "seq": payload["seq"],
            "type": payload["type"],
            "at": datetime.fromisoformat(payload["at"]),
            "person_id": (payload.get("person") or {}).get("id"),
            "coach_id": (payload.get("coach") or {}).get("id"),
            "slot_id": payload.get("slot"),
            "period_id": None,
            "payload": payload,
            "stored_at": now,
            "stored_by": by,
        }
        for payload in payloads
    ]
    if not rows:
        return 0
    statement = _insert(session, Event).values(rows).on_conflict_do_nothing().returning(Event.seq)
    return len(session.execute(statement).all())


def record_events(
    session: Session, board_id: str, payloads: list[dict[str, Any]], now: datetime, by: str | None = None
) -> int:
    """Store a wall's events (`by`: the collector's client id) and fold what can be folded; returns how many were new."""
    ensure_wall(session, board_id)
    new = insert_events(session, board_id, payloads, now, by)
    wall = lock_wall(session, board_id)
    wall.last_seen = now
    if new:
        fold(session, wall, now)
    return new


def fold(session: Session, wall: Wall, now: datetime) -> int:
    """Fold the wall's stored events after `last_seq`, in order, up to the first missing seq; returns how many."""
    stored = session.execute(
        select(Event)
        .where(Event.board_id == wall.board_id, Event.seq > wall.last_seq)
        .order_by(Event.seq)
        .execution_options(yield_per=1000)
    ).scalars()
    state = WallState() if wall.state is None else state_from_checkpoint(wall.state, UTC)
    folded, period_started = 0, False
    for row in stored:
        wall.max_seq = max(wall.max_seq, row.seq)
        if row.seq != wall.last_seq + 1:
            continue  # after a gap: kept for when it is filled; keep reading for max_seq
        event = WallEvent.from_payload(row.payload)
        apply(state, event)
        row.period_id = event.details.get("period_id") or (state.period.id if state.period else None)
        period_started |= event.type is EventType.PERIOD_STARTED
        _derive_person(session, wall, state, event)
        wall.last_seq = row.seq
        wall.last_event_at = event.at
        folded += 1
    wall.gap_since = None if wall.max_seq == wall.last_seq else (wall.gap_since or now)
    if not folded:
        return 0
    if period_started:  # a new period: nobody has moved up in it yet (apply cleared `moved_up` too)
        session.execute(update(Person).where(Person.board_id == wall.board_id).values(moved_up_at=None))
        session.flush()
        for person_id, at in state.moved_up.items():
            session.get_one(Person, (wall.board_id, person_id)).moved_up_at = at
    wall.state = checkpoint_of(state)
    _derive_period(session, wall, state)
    session.flush()
    wall.people = session.scalar(
        select(func.count()).select_from(Person).where(Person.board_id == wall.board_id, Person.archived.is_(False))
    )
    return folded


def _derive_person(session: Session, wall: Wall, state: WallState, event: WallEvent) -> None:
    """The person the event is about: their latest name, archived or not, where their card hangs now."""
    if event.person_id is None:
        return
    person = session.get(Person, (wall.board_id, event.person_id))
    if person is None:
        person = Person(board_id=wall.board_id, person_id=event.person_id, archived=False)
        session.add(person)
    if event.details.get("person_name") is not None:
        person.name = event.details["person_name"]
    if event.type is EventType.PERSON_ARCHIVED:
        person.archived = True
    slot, since = state.positions.get(event.person_id, (None, None))
    person.slot_id, person.since = slot, since
    person.level = level_of(wall.levels, slot)
    person.moved_up_at = state.moved_up.get(event.person_id)


def _derive_period(session: Session, wall: Wall, state: WallState) -> None:
    period = state.period
    wall.period_id = None if period is None else period.id
    wall.goal = None if period is None else period.goal
    wall.attempts = 0 if period is None else period.count
    if period is None:
        return
    row = session.get(Period, (wall.board_id, period.id))
    if row is None:
        row = Period(board_id=wall.board_id, period_id=period.id)
        session.add(row)
    row.starts_at, row.ends_at, row.goal = period.starts_at, period.ends_at, period.goal
    row.attempts, row.goal_reached = period.count, period.goal_reached


def level_of(levels: list[dict[str, Any]], slot_id: str | None) -> int | None:
    """The level (0 = bottom) of a slot in the wall's layout as its `state` message gave it."""
    for index, level in enumerate(levels):
        if slot_id in level["slots"]:
            return index
    return None


def record_availability(session: Session, board_id: str, online: bool, now: datetime) -> None:
    wall = lock_wall(session, board_id)
    wall.online, wall.availability_at, wall.last_seen = online, now, now


def record_state(session: Session, board_id: str, snapshot: dict[str, Any], now: datetime) -> None:
    """The wall's retained `state`: its layout (levels and slots, which place people on levels) and language."""
    wall = lock_wall(session, board_id)
    levels = [
        {"id": level["id"], "name": level["name"], "slots": [s["id"] for s in level["slots"]]}
        for level in snapshot["levels"]
    ]
    wall.snapshot, wall.language, wall.last_seen = snapshot, snapshot.get("language"), now
    wall.slots = sum(len(level["slots"]) for level in levels)
    if levels != wall.levels:
        wall.levels = levels
        people = session.execute(select(Person).where(Person.board_id == board_id, Person.slot_id.is_not(None)))
        for person in people.scalars():
            person.level = level_of(levels, person.slot_id)

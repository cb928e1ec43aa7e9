"""Writing what walls publish into the fleet database, and deriving each wall's state from its events.

`record` takes what one batch of messages brought (events, retained states and
availability, by wall) and writes it in the caller's transaction, so the events and
the state derived from them commit together. Its queries are per batch, not per
wall or event: a collector's batch of a thousand events from two hundred walls costs
about ten round trips.

Events are folded strictly in seq order with the wall's own
`board.core.state.apply`; an event after a gap waits, stored, until the gap is
filled (`Wall.max_seq > Wall.last_seq` marks one). The folded state is kept in
`walls.state` in the wall's own checkpoint format.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from board.core.events import EventType, WallEvent
from board.core.state import PeriodState, WallState, apply, checkpoint_of, state_from_checkpoint
from board.fleet.models import Event, Period, Person, Wall


def _insert(session: Session, model):
    """An INSERT that can skip or merge rows already there, in the session's dialect.

    On the table, not the ORM class: given many rows, Core sends them in a few
    statements ("insertmanyvalues"), where the ORM's bulk path would send hundreds.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model.__table__)


@dataclass(frozen=True)
class Written:
    new: int  # events stored that were not there yet
    skipped: frozenset[str] = frozenset()  # walls another collector was folding: their events are stored, not folded


def record(
    session: Session,
    now: datetime,
    *,
    events: Mapping[str, list[dict[str, Any]]] | None = None,
    states: Mapping[str, dict[str, Any]] | None = None,
    availability: Mapping[str, bool] | None = None,
    refold: Iterable[str] = (),
    by: str | None = None,
    skip_locked: bool = False,
) -> Written:
    """Write a batch: events (as published) by wall, their retained `state` and `availability`.

    Every event is stored. Each wall's events are folded in the same transaction,
    also those of the walls in `refold`. With `skip_locked` (PostgreSQL, several
    collectors) a wall that another transaction is folding right now is not waited
    for: its events are stored, and its state, availability and fold are left for the
    caller to try again (`Written.skipped`). `by` is the collector's client id, kept
    with each event it stored.
    """
    events, states, availability = events or {}, states or {}, availability or {}
    walls, skipped = lock_walls(session, events.keys() | states.keys() | availability.keys() | set(refold), skip_locked)
    for board_id, snapshot in states.items():
        if board_id in walls:
            _apply_state(session, walls[board_id], snapshot)
    for board_id, online in availability.items():
        if board_id in walls:
            walls[board_id].online, walls[board_id].availability_at = online, now
    for wall in walls.values():
        wall.last_seen = now
    with session.no_autoflush:  # the people and walls changed here are written once, at the end
        new = _record_events(session, walls, events, now, by)
    return Written(new, frozenset(skipped))


def record_events(
    session: Session, board_id: str, payloads: list[dict[str, Any]], now: datetime, by: str | None = None
) -> int:
    """One wall's events (tests, imports); a collector's batch of many walls goes through `record`."""
    return record(session, now, events={board_id: payloads}, by=by).new


def record_state(session: Session, board_id: str, snapshot: dict[str, Any], now: datetime) -> None:
    record(session, now, states={board_id: snapshot})


def record_availability(session: Session, board_id: str, online: bool, now: datetime) -> None:
    record(session, now, availability={board_id: online})


def lock_walls(session: Session, board_ids: set[str], skip_locked: bool = False) -> tuple[dict[str, Wall], set[str]]:
    """The walls' rows (made if new) locked for this transaction, and those skipped because another holds them.

    Locked in board_id order, so two batches never wait for each other crosswise;
    FOR NO KEY UPDATE, so another collector can still insert a locked wall's events
    (their foreign key takes only a key-share lock).
    """
    if not board_ids:
        return {}, set()
    ordered = sorted(board_ids)
    known = set(session.scalars(select(Wall.board_id).where(Wall.board_id.in_(ordered))))
    if missing := [board_id for board_id in ordered if board_id not in known]:
        new = [{"board_id": board_id, "name": board_id} for board_id in missing]
        session.execute(_insert(session, Wall).on_conflict_do_nothing(), new)
    query = (
        select(Wall)
        .where(Wall.board_id.in_(ordered))
        .order_by(Wall.board_id)
        .with_for_update(key_share=True, skip_locked=skip_locked)
    )
    walls = {wall.board_id: wall for wall in session.scalars(query)}
    return walls, board_ids - walls.keys()


def _record_events(
    session: Session, walls: dict[str, Wall], batch: Mapping[str, list[dict[str, Any]]], now: datetime, by: str | None
) -> int:
    """Fold the locked walls (what is stored after their last folded seq and what the batch brings), store the batch."""
    stored = _stored_after(session, list(walls.values()))
    pending = {board_id: dict(by_seq) for board_id, by_seq in stored.items()}
    for board_id, payloads in batch.items():
        if board_id in walls:
            pending.setdefault(board_id, {}).update(
                (payload["seq"], payload) for payload in payloads if payload["seq"] > walls[board_id].last_seq
            )
    people = _people(session, pending)
    periods: dict[tuple[str, int], int | None] = {}  # (board, seq) -> the period of each event folded now
    period_rows: dict[tuple[str, int], dict[str, Any]] = {}  # (board, period id) -> its row after the batch
    for board_id, by_seq in pending.items():
        folded = _fold(session, walls[board_id], by_seq, people, period_rows, now)
        periods |= {(board_id, seq): period for seq, period in folded}
    if period_rows:
        statement = _insert(session, Period)
        columns = ("starts_at", "ends_at", "goal", "attempts", "goal_reached")
        merged = statement.on_conflict_do_update(
            index_elements=["board_id", "period_id"], set_={column: statement.excluded[column] for column in columns}
        )
        session.execute(merged, list(period_rows.values()))

    rows = {
        (board_id, payload["seq"]): {
            "board_id": board_id,
            "seq": payload["seq"],
            "type": payload["type"],
            "at": datetime.fromisoformat(payload["at"]),
            "period_id": periods.get((board_id, payload["seq"])),
            "person_id": (payload.get("person") or {}).get("id"),
            "coach_id": (payload.get("coach") or {}).get("id"),
            "slot_id": payload.get("slot"),
            "payload": payload,
            "stored_at": now,
            "stored_by": by,
        }
        for board_id, payloads in batch.items()
        for payload in payloads
    }
    new = 0
    if rows:
        # Many rows, one statement: SQLAlchemy sends them in few round trips ("insertmanyvalues").
        inserted = session.execute(
            _insert(session, Event).on_conflict_do_nothing().returning(Event.__table__.c.seq),
            [rows[key] for key in sorted(rows)],
        )
        new = len(inserted.all())
    # Events stored earlier (behind a gap, or by another collector), folded now: their period is known only now.
    folded_stored = [
        {"b": board_id, "s": seq, "p": periods[(board_id, seq)]}
        for board_id, by_seq in stored.items()
        for seq in by_seq
        if (board_id, seq) in periods
    ]
    if folded_stored:
        table = Event.__table__
        where = and_(table.c.board_id == bindparam("b"), table.c.seq == bindparam("s"))
        session.execute(update(table).where(where).values(period_id=bindparam("p")), folded_stored)
    return new


def _stored_after(session: Session, walls: list[Wall]) -> dict[str, dict[int, dict[str, Any]]]:
    """Events stored after each wall's last folded seq (behind a gap, or by another collector), by wall and seq."""
    if not walls:
        return {}
    found: dict[str, dict[int, dict[str, Any]]] = {}
    after = or_(*(and_(Event.board_id == wall.board_id, Event.seq > wall.last_seq) for wall in walls))
    for board_id, seq, payload in session.execute(select(Event.board_id, Event.seq, Event.payload).where(after)):
        found.setdefault(board_id, {})[seq] = payload
    return found


def _people(session: Session, pending: dict[str, dict[int, dict[str, Any]]]) -> dict[tuple[str, int], Person]:
    """The stored people the pending events are about."""
    keys = {
        (board_id, payload["person"]["id"])
        for board_id, by_seq in pending.items()
        for payload in by_seq.values()
        if payload.get("person")
    }
    if not keys:
        return {}
    query = select(Person).where(tuple_(Person.board_id, Person.person_id).in_(sorted(keys)))
    return {(person.board_id, person.person_id): person for person in session.scalars(query)}


def _fold(
    session: Session,
    wall: Wall,
    by_seq: dict[int, dict[str, Any]],
    people: dict[tuple[str, int], Person],
    period_rows: dict[tuple[str, int], dict[str, Any]],
    now: datetime,
) -> list[tuple[int, int | None]]:
    """Fold the wall's events from `last_seq + 1` up to the first missing one; (seq, period id) of each folded."""
    if by_seq:
        wall.max_seq = max(wall.max_seq, max(by_seq))
    state = WallState() if wall.state is None else state_from_checkpoint(wall.state, UTC)
    folded: list[tuple[int, int | None]] = []
    touched: set[int] = set()
    period_started = False
    while (payload := by_seq.get(wall.last_seq + 1)) is not None:
        event = WallEvent.from_payload(payload)
        if event.type is EventType.PERIOD_STARTED and state.period is not None:
            _period_row(period_rows, wall.board_id, state.period)  # the period that ended, with its final count
        apply(state, event)
        folded.append((event.seq, event.details.get("period_id") or (state.period.id if state.period else None)))
        period_started |= event.type is EventType.PERIOD_STARTED
        if event.person_id is not None:
            _name_person(session, wall, people, event)
            touched.add(event.person_id)
        wall.last_seq, wall.last_event_at = event.seq, event.at
    wall.gap_since = None if wall.max_seq == wall.last_seq else (wall.gap_since or now)
    if not folded:
        return folded
    if period_started:  # nobody has moved up in the new period yet (apply cleared its `moved_up` too)
        table = Person.__table__
        session.execute(update(table).where(table.c.board_id == wall.board_id).values(moved_up_at=None))
    for person_id in touched:  # where their cards hang now
        person = people[(wall.board_id, person_id)]
        slot, since = state.positions.get(person_id, (None, None))
        person.slot_id, person.since, person.level = slot, since, level_of(wall.levels, slot)
        person.moved_up_at = state.moved_up.get(person_id)
    wall.state = checkpoint_of(state)
    _derive_period(period_rows, wall, state)
    return folded


def _name_person(session: Session, wall: Wall, people: dict[tuple[str, int], Person], event: WallEvent) -> None:
    """The person the event is about, as the event names them: new, renamed or archived."""
    assert event.person_id is not None
    person = people.get((wall.board_id, event.person_id))
    if person is None:
        person = Person(board_id=wall.board_id, person_id=event.person_id, archived=False)
        people[(wall.board_id, event.person_id)] = person
        session.add(person)
        wall.people += 1
    if event.details.get("person_name") is not None:
        person.name = event.details["person_name"]
    if event.type is EventType.PERSON_ARCHIVED and not person.archived:
        person.archived = True
        wall.people -= 1


def _derive_period(period_rows: dict[tuple[str, int], dict[str, Any]], wall: Wall, state: WallState) -> None:
    period = state.period
    wall.period_id = None if period is None else period.id
    wall.goal = None if period is None else period.goal
    wall.attempts = 0 if period is None else period.count
    if period is not None:
        _period_row(period_rows, wall.board_id, period)


def _period_row(period_rows: dict[tuple[str, int], dict[str, Any]], board_id: str, period: PeriodState) -> None:
    period_rows[(board_id, period.id)] = {
        "board_id": board_id,
        "period_id": period.id,
        "starts_at": period.starts_at,
        "ends_at": period.ends_at,
        "goal": period.goal,
        "attempts": period.count,
        "goal_reached": period.goal_reached,
    }


def level_of(levels: list[dict[str, Any]], slot_id: str | None) -> int | None:
    """The level (0 = bottom) of a slot in the wall's layout as its `state` message gave it."""
    for index, level in enumerate(levels):
        if slot_id in level["slots"]:
            return index
    return None


def _apply_state(session: Session, wall: Wall, snapshot: dict[str, Any]) -> None:
    """The wall's retained `state`: its layout (levels and slots, which place people on levels) and language."""
    levels = [
        {"id": level["id"], "name": level["name"], "slots": [slot["id"] for slot in level["slots"]]}
        for level in snapshot["levels"]
    ]
    wall.snapshot, wall.language = snapshot, snapshot.get("language")
    wall.slots = sum(len(level["slots"]) for level in levels)
    if levels != wall.levels:
        wall.levels = levels
        people = session.scalars(select(Person).where(Person.board_id == wall.board_id, Person.slot_id.is_not(None)))
        for person in people:
            person.level = level_of(levels, person.slot_id)

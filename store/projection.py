"""The `positions` table: where each card hangs, kept in step with the event log.

The table is decided by the same fold as the live state (`board.core.state.apply`),
live for each recorded event and for the whole log on `db rebuild`.
"""

from collections.abc import Iterable

from sqlalchemy import delete
from sqlalchemy.orm import Session

from board.core.events import WallEvent
from board.core.state import WallState, apply
from store.models import Position


def moves_card(state: WallState, event: WallEvent) -> bool:
    """Fold `event` into `state`; True if that changed where the event's person's card hangs."""
    before = state.positions.get(event.person_id) if event.person_id is not None else None
    apply(state, event)
    return event.person_id is not None and state.positions.get(event.person_id) != before


def project_position(session: Session, event: WallEvent) -> None:
    """Fold one recorded event into the `positions` table (no change for events that move no card)."""
    if event.person_id is None:
        return
    state = WallState()
    stored = session.get(Position, event.person_id)
    if stored is not None:
        state.positions[event.person_id] = (stored.slot_id, stored.since)
    if not moves_card(state, event):
        return
    if event.person_id in state.positions:
        slot_id, since = state.positions[event.person_id]
        session.merge(Position(person_id=event.person_id, slot_id=slot_id, since=since, seq=event.seq))
    else:
        session.execute(delete(Position).where(Position.person_id == event.person_id))


def positions_of(events: Iterable[WallEvent]) -> list[Position]:
    """The whole `positions` table as the log decides it, each row with the event that put the card there."""
    state, placed_by = WallState(), {}
    for event in events:
        if moves_card(state, event):
            placed_by[event.person_id] = event.seq
    return [
        Position(person_id=person_id, slot_id=slot_id, since=since, seq=placed_by[person_id])
        for person_id, (slot_id, since) in state.positions.items()
    ]

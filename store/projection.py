"""Derived tables kept in step with the event log, live and on `db rebuild`."""

from sqlalchemy import delete
from sqlalchemy.orm import Session

from board.core.events import EventType
from store.models import Event, Position

PLACING = {EventType.CARD_PLACED, EventType.CARD_MOVED}
REMOVING = {EventType.CARD_OFF_WALL, EventType.PERSON_ARCHIVED}
# Every event that decides where a card hangs: what `positions` is derived from.
POSITION_EVENTS = PLACING | REMOVING | {EventType.MOVE_CORRECTED}


def project_position(session: Session, event: Event) -> None:
    """Apply one event to the `positions` table (a no-op for unrelated events)."""
    kind = EventType(event.type)
    if kind not in POSITION_EVENTS:
        return
    to_slot = event.slot_id if kind in PLACING else None
    if kind is EventType.MOVE_CORRECTED:
        to_slot = event.details.get("to_slot")
    if to_slot:
        session.merge(Position(person_id=event.person_id, slot_id=to_slot, since=event.at, seq=event.seq))
    else:
        session.execute(delete(Position).where(Position.person_id == event.person_id))

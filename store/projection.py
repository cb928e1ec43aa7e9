"""Derived tables kept in step with the event log, live and on `db rebuild`."""

from sqlalchemy import delete
from sqlalchemy.orm import Session

from board.events import EventType
from store.models import Event, Position

PLACING = {EventType.CARD_PLACED, EventType.CARD_MOVED}
REMOVING = {EventType.CARD_OFF_WALL, EventType.PERSON_ARCHIVED}


def project_position(session: Session, event: Event) -> None:
    """Apply one event to the `positions` table (a no-op for unrelated events)."""
    kind = EventType(event.type)
    to_slot = event.slot_id if kind in PLACING else None
    if kind is EventType.MOVE_CORRECTED:
        to_slot = event.details.get("to_slot")
    elif kind not in PLACING | REMOVING:
        return
    if to_slot:
        session.merge(Position(person_id=event.person_id, slot_id=to_slot, since=event.at, seq=event.seq))
    else:
        session.execute(delete(Position).where(Position.person_id == event.person_id))

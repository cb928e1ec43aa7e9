"""What the fleet tests compare: a wall's own view of itself, and the fleet database's view of it."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from board.core.snapshot import Snapshot
from board.fleet.models import Person, Wall


def wall_says(snapshot: Snapshot) -> dict:
    """People on the wall with their slot and level (0 = bottom), the open period's goal and attempts, who moved up in it."""
    return {
        "positions": {
            slot.person.id: (slot.id, level_index)
            for level_index, level in enumerate(snapshot.levels)
            for slot in level.slots
            if slot.person is not None
        },
        "period": (snapshot.period.id, snapshot.period.goal, snapshot.period.count),
        "moved_up": set(snapshot.moved_up),
    }


def fleet_says(session: Session, board_id: str) -> dict:
    """The same, as the collector derived it from the wall's events."""
    wall = session.get_one(Wall, board_id)
    people = list(session.scalars(select(Person).where(Person.board_id == board_id)))
    return {
        "positions": {person.person_id: (person.slot_id, person.level) for person in people if person.slot_id},
        "period": (wall.period_id, wall.goal, wall.attempts),
        "moved_up": {person.name for person in people if person.moved_up_at is not None},
    }

"""What the fleet tests compare: a wall's own view of itself, and the fleet database's view of it."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from board.core.snapshot import Snapshot
from board.fleet.models import Person, Wall


def wall_says(snapshot: Snapshot) -> dict:
    """People on the wall with their slot and level (0 = bottom), and the open period's goal and attempts."""
    return {
        "positions": {
            slot.person.id: (slot.id, level_index)
            for level_index, level in enumerate(snapshot.levels)
            for slot in level.slots
            if slot.person is not None
        },
        "period": (snapshot.period.id, snapshot.period.goal, snapshot.period.count),
    }


def fleet_says(session: Session, board_id: str) -> dict:
    """The same, as the collector derived it from the wall's events."""
    wall = session.get_one(Wall, board_id)
    people = session.execute(select(Person).where(Person.board_id == board_id, Person.slot_id.is_not(None)))
    return {
        "positions": {person.person_id: (person.slot_id, person.level) for person in people.scalars()},
        "period": (wall.period_id, wall.goal, wall.attempts),
    }

"""An immutable picture of the board for the screen, the LEDs and MQTT `state`.

The service builds a new snapshot after every change; consumers compare
`version` to know whether anything changed and never touch the service's state.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from board.core.harvest import Harvest, Journey


class SlotStatus(StrEnum):
    EMPTY = "empty"
    OCCUPIED = "occupied"
    UNKNOWN = "unknown"  # an unregistered tag sits here
    OFFLINE = "offline"  # the reader failed: we do not know, which is not "empty"


@dataclass(frozen=True)
class PersonView:
    id: int
    name: str
    photo: str | None  # absolute path of the stored photo, or None


@dataclass(frozen=True)
class SlotView:
    id: str
    status: SlotStatus
    person: PersonView | None = None
    unknown_uid: str | None = None
    moved_at: datetime | None = None  # when the person last moved here (not a first hanging)


@dataclass(frozen=True)
class LevelView:
    id: str
    name: str
    slots: tuple[SlotView, ...]


@dataclass(frozen=True)
class AttemptView:
    id: int
    person: str
    coach: str
    at: datetime


@dataclass(frozen=True)
class MoveUpView:
    person: str
    at: datetime


@dataclass(frozen=True)
class PeriodView:
    id: int
    starts_at: datetime
    ends_at: datetime
    goal: int
    count: int  # confirmed, non-voided attempts in this period
    today: int  # of which today (local time)
    people_tried: int = 0  # people with at least one of those attempts
    people: int = 0  # people registered on the wall

    @property
    def tried_fraction(self) -> float:
        """Share of the people who had a go this period, 0..1 (the screen's sun)."""
        return min(1.0, self.people_tried / self.people) if self.people > 0 else 0.0

    @property
    def fraction(self) -> float:
        """Share of the goal reached, 0..1 (a goal of 0 counts as reached)."""
        if self.goal <= 0:
            return 1.0
        return min(1.0, self.count / self.goal)


@dataclass(frozen=True)
class PadWindowView:
    coach: str
    until: datetime


@dataclass(frozen=True)
class Snapshot:
    version: int
    board_id: str
    language: str
    now: datetime
    levels: tuple[LevelView, ...]  # bottom level first
    period: PeriodView
    recent_attempts: tuple[AttemptView, ...] = ()  # newest first
    moved_up: tuple[str, ...] = ()  # names of people who went up a level this period
    pad_window: PadWindowView | None = None
    message: str | None = None  # admin display/message text, while it lasts
    offline_readers: tuple[str, ...] = field(default=())
    sun_height: float | None = None  # where people last slid the wall's sun (0..1), if it has a slider
    last_move_up: MoveUpView | None = None  # the latest of `moved_up`
    harvest: Harvest | None = None  # a period's look back, shown instead of the wall while it lasts
    journey: Journey | None = None  # someone's own card tapped on the pad: shown over the wall for a moment

    def slot(self, slot_id: str) -> SlotView:
        for level in self.levels:
            for slot in level.slots:
                if slot.id == slot_id:
                    return slot
        raise KeyError(slot_id)

"""What the wall knows, and the one fold of recorded events into it.

`apply` folds each recorded event into `WallState`; `Directory` (who is who)
is read from the store.
"""

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from board.core.events import EventType, WallEvent

RECENT_ATTEMPTS = 8  # kept for the screen's strip


@dataclass(frozen=True)
class PersonInfo:
    id: int
    name: str
    photo: str | None = None
    archived: bool = False


@dataclass(frozen=True)
class CoachInfo:
    id: int
    name: str
    badge: str
    person_id: int | None = None  # set when the coach is on the wall too


@dataclass
class Directory:
    """Who is who: loaded from the store, replaced whenever an admin changes it."""

    people: dict[int, PersonInfo] = field(default_factory=dict)
    cards: dict[str, int] = field(default_factory=dict)  # tag uid -> person id
    coaches: dict[int, CoachInfo] = field(default_factory=dict)  # active coaches only

    def __post_init__(self) -> None:
        self._badges = {coach.badge: coach for coach in self.coaches.values()}

    def card_owner(self, uid: str) -> PersonInfo | None:
        person_id = self.cards.get(uid)
        return None if person_id is None else self.people[person_id]

    def coach_by_badge(self, uid: str) -> CoachInfo | None:
        return self._badges.get(uid)

    def is_known(self, uid: str) -> bool:
        return uid in self.cards or uid in self._badges


@dataclass(frozen=True)
class Lift:
    slot_id: str
    at: datetime


@dataclass(frozen=True)
class PadWindow:
    coach_id: int
    until: datetime


@dataclass(frozen=True)
class RecentAttempt:
    id: int
    person_id: int
    coach_id: int | None
    at: datetime


@dataclass
class PeriodState:
    id: int
    starts_at: datetime
    ends_at: datetime
    goal: int
    attempts: dict[int, datetime] = field(default_factory=dict)  # confirmed, not voided
    goal_reached: bool = False

    @property
    def count(self) -> int:
        return len(self.attempts)

    def count_since(self, moment: datetime) -> int:
        return sum(1 for at in self.attempts.values() if at >= moment)


@dataclass
class WallState:
    positions: dict[int, tuple[str, datetime]] = field(default_factory=dict)  # person -> (slot, since)
    last_slot: dict[int, str] = field(default_factory=dict)  # person -> last recorded slot
    lifted: dict[int, Lift] = field(default_factory=dict)  # cards off their slot, not yet placed
    present: dict[str, set[str]] = field(default_factory=dict)  # reader -> debounced uids
    offline: set[str] = field(default_factory=set)
    pad: PadWindow | None = None
    last_confirm: dict[tuple[int, int], datetime] = field(default_factory=dict)  # (coach, person)
    period: PeriodState | None = None
    recent: deque[RecentAttempt] = field(default_factory=lambda: deque(maxlen=RECENT_ATTEMPTS))
    moved_up: dict[int, datetime] = field(default_factory=dict)  # this period
    moved: dict[int, datetime] = field(default_factory=dict)  # person -> their latest move (screen highlight)
    next_goal: int | None = None  # set by an admin for the next period

    def occupant(self, slot_id: str) -> int | None:
        """The person whose card is recorded in this slot and not lifted from it."""
        for person_id, (slot, _since) in self.positions.items():
            if slot == slot_id and person_id not in self.lifted:
                return person_id
        return None


# -- folding recorded events into the state ---------------------------------------


def apply(state: WallState, event: WallEvent) -> None:
    """Update the in-memory state with an event that has been recorded."""
    details = event.details
    match event.type:
        case EventType.CARD_PLACED | EventType.CARD_MOVED:
            _place(state, event.person_id, event.slot_id, event.at)
            if is_move_up(event):
                state.moved_up[event.person_id] = event.at
            if is_move(event):
                state.moved[event.person_id] = event.at
        case EventType.MOVE_CORRECTED:
            if details.get("to_slot"):
                _place(state, event.person_id, details["to_slot"], event.at)
            else:
                _take_off(state, event.person_id)
        case EventType.CARD_OFF_WALL | EventType.PERSON_ARCHIVED:
            _take_off(state, event.person_id)
        case EventType.PAD_OPENED:
            state.pad = PadWindow(event.coach_id, datetime.fromisoformat(details["until"]))
        case EventType.PAD_CLOSED:
            state.pad = None
        case EventType.ATTEMPT_CONFIRMED:
            attempt = RecentAttempt(details["attempt_id"], event.person_id, event.coach_id, event.at)
            if event.coach_id is not None:
                state.last_confirm[(event.coach_id, event.person_id)] = event.at
            if state.period and details["period_id"] == state.period.id:
                state.period.attempts[attempt.id] = event.at
            state.recent.appendleft(attempt)
        case EventType.ATTEMPT_VOIDED:
            attempt_id = details["attempt_id"]
            if state.period:
                state.period.attempts.pop(attempt_id, None)
            kept = [attempt for attempt in state.recent if attempt.id != attempt_id]
            state.recent = deque(kept, maxlen=RECENT_ATTEMPTS)
        case EventType.GOAL_REACHED:
            if state.period and details["period_id"] == state.period.id:
                state.period.goal_reached = True
        case EventType.GOAL_SET:
            if details["period_id"] is None:
                state.next_goal = details["goal"]
            elif state.period and details["period_id"] == state.period.id:
                state.period.goal = details["goal"]
        case EventType.PERIOD_STARTED:
            state.period = PeriodState(details["period_id"], datetime.fromisoformat(details["starts_at"]),
                                       datetime.fromisoformat(details["ends_at"]), details["goal"])
            state.moved_up.clear()
            state.next_goal = None
        case EventType.READER_OFFLINE:
            state.offline.add(event.slot_id)
        case EventType.READER_ONLINE:
            state.offline.discard(event.slot_id)


def is_move(event: WallEvent) -> bool:
    """A card that changed slot, not one hung on the wall for the first time."""
    return event.type is EventType.CARD_MOVED or bool(event.details.get("last_slot"))


def is_move_up(event: WallEvent) -> bool:
    return event.details.get("level_change", 0) > 0


def _place(state: WallState, person_id: int, slot_id: str, at: datetime) -> None:
    state.positions[person_id] = (slot_id, at)
    state.last_slot[person_id] = slot_id
    state.lifted.pop(person_id, None)


def _take_off(state: WallState, person_id: int) -> None:
    state.positions.pop(person_id, None)
    state.lifted.pop(person_id, None)

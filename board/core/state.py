"""What the wall knows, and the one fold of recorded events into it.

`apply` folds each recorded event into `WallState`; `Directory` (who is who)
is read from the store.
"""

import copy
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from board.core.events import EventType, WallEvent

RECENT_ATTEMPTS = 8  # kept for the screen's strip
T = TypeVar("T")


@dataclass(frozen=True)
class PersonInfo:
    """A person as the store records them (photo as its stored file name); `PersonView` is what a screen shows."""

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
    """The open coach-pad window by coach id, for the rules; `PadWindowView` names the coach for display."""

    coach_id: int
    until: datetime


@dataclass(frozen=True)
class RecentAttempt:
    """A recent attempt by ids, as folded from events; `AttemptView` carries the names to show."""

    id: int
    person_id: int
    coach_id: int | None
    at: datetime


@dataclass
class PeriodState:
    """The open period's running tally, mutated by `apply`; `PeriodView` is its frozen summary.

    Counts, not a list of attempts: a snapshot reads them in constant time and a
    checkpoint stays small however many attempts a period holds.
    """

    id: int
    starts_at: datetime
    ends_at: datetime
    goal: int
    count: int = 0  # confirmed, not voided
    days: dict[date, int] = field(default_factory=dict)  # the same attempts by the local day they were made
    tries: dict[int, int] = field(default_factory=dict)  # person -> their attempts (the screen's sun)
    goal_reached: bool = False

    def count_since(self, day: date) -> int:
        """Attempts made on `day` or later (a clock set back may have recorded some on a later day)."""
        return sum(count for made_on, count in self.days.items() if made_on >= day)

    def tally(self, person_id: int, day: date, step: int) -> None:
        """Count one attempt in (`step` 1) or out (-1: voided)."""
        self.count += step
        _add(self.days, day, step)
        _add(self.tries, person_id, step)


def _add(counts: dict[T, int], key: T, step: int) -> None:
    """Change one count, dropping it at zero so the keys are exactly what was counted."""
    counts[key] = counts.get(key, 0) + step
    if counts[key] == 0:
        del counts[key]


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
    sun_height: float | None = None  # where people last slid the wall's sun
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

    def recorded(self) -> "WallState":
        """A copy of the part the event log decides, without what the readers see now (`present`, `lifted`)."""
        return copy.deepcopy(replace(self, present={}, lifted={}))


# -- checkpoints: the recorded state as JSON, so a start need not replay the whole log --

# Bump when `apply` or the state's fields change meaning: a checkpoint of a format not
# in READABLE_CHECKPOINT_FORMATS is then ignored and the log replayed from the start.
CHECKPOINT_FORMAT = 3  # 3: the period's counts instead of its attempts
# Read too: a format-2 checkpoint lists the period's attempts, which count up to the same tally.
READABLE_CHECKPOINT_FORMATS = frozenset({2, CHECKPOINT_FORMAT})


def checkpoint_of(state: WallState) -> dict[str, Any]:
    """The recorded part of `state` as JSON-ready data (`state_from_checkpoint` reads it back)."""
    iso = datetime.isoformat
    period = state.period
    return {
        "positions": [[person, slot, iso(since)] for person, (slot, since) in state.positions.items()],
        "last_slot": [[person, slot] for person, slot in state.last_slot.items()],
        "offline": sorted(state.offline),
        "pad": None if state.pad is None else [state.pad.coach_id, iso(state.pad.until)],
        "last_confirm": [[coach, person, iso(at)] for (coach, person), at in state.last_confirm.items()],
        "period": None
        if period is None
        else {
            "id": period.id,
            "starts_at": iso(period.starts_at),
            "ends_at": iso(period.ends_at),
            "goal": period.goal,
            "count": period.count,
            "days": [[made_on.isoformat(), count] for made_on, count in period.days.items()],
            "tries": [[person, count] for person, count in period.tries.items()],
            "goal_reached": period.goal_reached,
        },
        "recent": [[a.id, a.person_id, a.coach_id, iso(a.at)] for a in state.recent],
        "moved_up": [[person, iso(at)] for person, at in state.moved_up.items()],
        "moved": [[person, iso(at)] for person, at in state.moved.items()],
        "next_goal": state.next_goal,
        "sun_height": state.sun_height,
    }


def state_from_checkpoint(data: dict[str, Any], tz: ZoneInfo) -> WallState:
    """The state a checkpoint holds; event times in the board's timezone, as `apply` leaves them."""

    def at(text: str) -> datetime:
        return datetime.fromisoformat(text).astimezone(tz)

    period = data["period"]
    return WallState(
        positions={person: (slot, at(since)) for person, slot, since in data["positions"]},
        last_slot=dict(data["last_slot"]),
        offline=set(data["offline"]),
        # Read back as `apply` parses them from an event's details: with their own offset.
        pad=None if data["pad"] is None else PadWindow(data["pad"][0], datetime.fromisoformat(data["pad"][1])),
        last_confirm={(coach, person): at(moment) for coach, person, moment in data["last_confirm"]},
        period=None if period is None else _period_from_checkpoint(period, tz),
        recent=deque(
            (RecentAttempt(id_, person, coach, at(moment)) for id_, person, coach, moment in data["recent"]),
            maxlen=RECENT_ATTEMPTS,
        ),
        moved_up={person: at(moment) for person, moment in data["moved_up"]},
        moved={person: at(moment) for person, moment in data["moved"]},
        next_goal=data["next_goal"],
        sun_height=data["sun_height"],
    )


def _period_from_checkpoint(data: dict[str, Any], tz: ZoneInfo) -> PeriodState:
    period = PeriodState(
        data["id"],
        datetime.fromisoformat(data["starts_at"]),
        datetime.fromisoformat(data["ends_at"]),
        data["goal"],
        data.get("count", 0),
        {date.fromisoformat(made_on): count for made_on, count in data.get("days", ())},
        dict(data.get("tries", ())),
        goal_reached=data["goal_reached"],
    )
    for _attempt, moment, person in data.get("attempts", ()):  # format 2
        period.tally(person, datetime.fromisoformat(moment).astimezone(tz).date(), 1)
    return period


# -- folding recorded events into the state ---------------------------------------


def apply(state: WallState, event: WallEvent) -> None:
    """Update the in-memory state with an event that has been recorded."""
    details = event.details
    match event.type:
        case EventType.CARD_PLACED | EventType.CARD_MOVED:
            person_id = _named(event.person_id, event)
            _place(state, person_id, _named(event.slot_id, event), event.at)
            if is_move_up(event):
                state.moved_up[person_id] = event.at
            if is_move(event):
                state.moved[person_id] = event.at
        case EventType.SUN_MOVED:
            state.sun_height = details["height"]
        case EventType.MOVE_CORRECTED:
            if details.get("to_slot"):
                _place(state, _named(event.person_id, event), details["to_slot"], event.at)
            else:
                _take_off(state, _named(event.person_id, event))
        case EventType.CARD_OFF_WALL | EventType.PERSON_ARCHIVED:
            _take_off(state, _named(event.person_id, event))
        case EventType.PAD_OPENED:
            state.pad = PadWindow(_named(event.coach_id, event), datetime.fromisoformat(details["until"]))
        case EventType.PAD_CLOSED:
            state.pad = None
        case EventType.ATTEMPT_CONFIRMED:
            person_id = _named(event.person_id, event)
            attempt = RecentAttempt(details["attempt_id"], person_id, event.coach_id, event.at)
            if event.coach_id is not None:
                state.last_confirm[(event.coach_id, person_id)] = event.at
            if state.period and details["period_id"] == state.period.id:
                state.period.tally(person_id, event.at.date(), 1)
            state.recent.appendleft(attempt)
        case EventType.ATTEMPT_VOIDED:
            attempt_id = details["attempt_id"]
            # The void names the attempt's period and time (store.repository.Writer writes them;
            # migration 0003 added them to older voids). A void published by a wall on an older
            # release (to a fleet collector) does not, and cannot be counted out.
            if state.period and details.get("period_id") == state.period.id:
                made_at = datetime.fromisoformat(details["attempted_at"]).astimezone(event.at.tzinfo)
                state.period.tally(_named(event.person_id, event), made_at.date(), -1)
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
            state.period = PeriodState(
                details["period_id"],
                datetime.fromisoformat(details["starts_at"]),
                datetime.fromisoformat(details["ends_at"]),
                details["goal"],
            )
            state.moved_up.clear()
            state.next_goal = None
        case EventType.READER_OFFLINE:
            state.offline.add(_named(event.slot_id, event))
        case EventType.READER_ONLINE:
            state.offline.discard(_named(event.slot_id, event))


def _named(value: T | None, event: WallEvent) -> T:
    """A person, slot or coach the event must name: every event of its type is written with one."""
    if value is None:
        raise ValueError(f"event {event.seq} ({event.type}) lacks the person, slot or coach it is about")
    return value


def is_move(event: WallEvent) -> bool:
    """A card that changed slot, not one hung on the wall for the first time."""
    return event.type is EventType.CARD_MOVED or bool(event.details.get("last_slot"))


def is_move_up(event: WallEvent) -> bool:
    return bool(event.details.get("level_change", 0) > 0)


def _place(state: WallState, person_id: int, slot_id: str, at: datetime) -> None:
    state.positions[person_id] = (slot_id, at)
    state.last_slot[person_id] = slot_id
    state.lifted.pop(person_id, None)


def _take_off(state: WallState, person_id: int) -> None:
    state.positions.pop(person_id, None)
    state.lifted.pop(person_id, None)

"""The harvest of a period and its awards: pure functions over the event log.

Nothing here touches hardware or the database, so a collector that gathers the
logs of several walls can compute the same harvest. Voided attempts never count,
also when the void came after the period; a corrected move counts as what the
correction says (positions are folded in log order, corrections included);
archived people keep their history and their awards.
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from board.core.events import Draft, EventType, WallEvent
from board.core.harvest import Award, CoachRow, Harvest, Journey, PeriodSpan, PersonRow, Winner
from board.core.i18n import Texts
from board.core.settings import AwardKind, WallSettings
from board.core.state import WallState, apply

# The events a harvest is computed from.
HARVEST_EVENTS = frozenset(
    {
        EventType.CARD_PLACED,
        EventType.CARD_MOVED,
        EventType.CARD_OFF_WALL,
        EventType.MOVE_CORRECTED,
        EventType.PERSON_ADDED,
        EventType.PERSON_UPDATED,
        EventType.PERSON_ARCHIVED,
        EventType.ATTEMPT_CONFIRMED,
        EventType.ATTEMPT_VOIDED,
        EventType.COACH_ADDED,
    }
)
T = TypeVar("T")
MIN_STREAK_DAYS = 2  # one day is an attempt, not a streak


@dataclass
class _Attempt:
    id: int
    person_id: int
    coach_id: int | None
    at: datetime


@dataclass
class _Fold:
    """Where every card hangs (the wall's own fold) and who tried what, event by event in log order."""

    wall: WallState = field(default_factory=WallState)
    names: dict[int, str] = field(default_factory=dict)
    coach_names: dict[int, str] = field(default_factory=dict)
    archived: set[int] = field(default_factory=set)
    attempts: list[_Attempt] = field(default_factory=list)
    voided: set[int] = field(default_factory=set)

    def apply(self, event: WallEvent) -> None:
        details = event.details
        if event.person_id is not None and details.get("person_name"):
            self.names[event.person_id] = details["person_name"]
        if event.coach_id is not None and details.get("coach_name"):
            self.coach_names[event.coach_id] = details["coach_name"]
        apply(self.wall, event)
        match event.type:
            case EventType.PERSON_ARCHIVED if event.person_id is not None:
                self.archived.add(event.person_id)
            case EventType.ATTEMPT_CONFIRMED if event.person_id is not None:
                self.attempts.append(_Attempt(details["attempt_id"], event.person_id, event.coach_id, event.at))
            case EventType.ATTEMPT_VOIDED:
                self.voided.add(details["attempt_id"])

    @property
    def on_wall(self) -> dict[int, str]:
        return {person: slot for person, (slot, _since) in self.wall.positions.items()}

    @property
    def last_slot(self) -> dict[int, str]:
        return dict(self.wall.last_slot)


def compute_harvest(
    events: Iterable[WallEvent], settings: WallSettings, span: PeriodSpan, previous: PeriodSpan | None = None
) -> Harvest:
    """The harvest of `span` from the log (in seq order; events after the span only void attempts)."""
    fold = _Fold()
    before: tuple[dict[int, str], dict[int, str]] | None = None  # (on wall, last slot) at the start
    after: tuple[dict[int, str], dict[int, str]] | None = None
    first_slot: dict[int, str] = {}  # where a card first hung during the span
    for event in events:
        if before is None and span.has_begun(event.at):
            before = fold.on_wall, fold.last_slot
        if after is None and span.has_ended(event.at):
            after = fold.on_wall, fold.last_slot
        fold.apply(event)
        if before is not None and after is None and event.person_id in fold.wall.positions:
            first_slot.setdefault(event.person_id, fold.wall.positions[event.person_id][0])
    if before is None:
        before = fold.on_wall, fold.last_slot
    if after is None:
        after = fold.on_wall, fold.last_slot

    counted = [a for a in fold.attempts if a.id not in fold.voided]
    in_span = [a for a in counted if span.holds(a.at)]
    first_ever: dict[int, datetime] = {}
    for attempt in counted:
        first_ever.setdefault(attempt.person_id, attempt.at)  # the log is in order: the first is the earliest

    levels = {slot: index for index, level in enumerate(settings.levels) for slot in level.slots}
    attempts_of = Counter(a.person_id for a in in_span)
    present = set(attempts_of) | set(before[0]) | set(after[0]) | set(first_slot)
    people = []
    for person_id in sorted(present):
        start_slot = before[1].get(person_id) or first_slot.get(person_id)
        end_slot = after[1].get(person_id)
        people.append(
            PersonRow(
                person_id,
                fold.names.get(person_id, "?"),
                attempts_of[person_id],
                levels.get(start_slot) if start_slot else None,
                levels.get(end_slot) if end_slot else None,
                person_id in first_ever and span.holds(first_ever[person_id]),
                person_id in fold.archived,
            )
        )

    coaches = _coach_rows(in_span, fold.coach_names)
    days = _days(settings, span)
    per_day = Counter(a.at.astimezone(settings.tz).date() for a in in_span)
    previous_count = None
    if previous is not None:
        previous_count = sum(1 for a in counted if previous.holds(a.at))
    streaks = _streaks(in_span, settings, days)
    texts = Texts(settings.language)
    level_names = tuple(level.name for level in settings.levels)
    awards = _awards(settings, texts, span, len(in_span), previous_count, people, coaches, streaks, level_names)
    return Harvest(
        board_id=settings.board_id,
        language=settings.language,
        span=span,
        count=len(in_span),
        previous_count=previous_count,
        per_day=tuple((day, per_day[day]) for day in days),
        people=tuple(people),
        coaches=coaches,
        level_names=level_names,
        level_slots=tuple(tuple(level.slots) for level in settings.levels),
        wall_before={slot: person for person, slot in before[0].items()},
        wall_after={slot: person for person, slot in after[0].items()},
        awards=awards,
    )


def _coach_rows(attempts: list[_Attempt], names: dict[int, str]) -> tuple[CoachRow, ...]:
    confirmed: dict[int, list[int]] = defaultdict(list)
    for attempt in attempts:
        if attempt.coach_id is not None:  # an admin's manual attempt has no coach
            confirmed[attempt.coach_id].append(attempt.person_id)
    rows = [
        CoachRow(coach, names.get(coach, "?"), len(people), len(set(people))) for coach, people in confirmed.items()
    ]
    return tuple(sorted(rows, key=lambda row: (-row.people, -row.confirmations, row.name)))


def _days(settings: WallSettings, span: PeriodSpan) -> list[date]:
    first = span.starts_at.astimezone(settings.tz).date()
    last = (span.ends_at - timedelta(microseconds=1)).astimezone(settings.tz).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _streaks(attempts: list[_Attempt], settings: WallSettings, days: list[date]) -> dict[int, int]:
    """Per person, the most consecutive working days of the span with an attempt each.

    Days off neither break nor extend a streak: Friday and Monday are consecutive.
    """
    working = {day.number for day in settings.harvest.working_days}
    working_days = [day for day in days if day.weekday() in working]
    tried: dict[int, set[date]] = defaultdict(set)
    for attempt in attempts:
        tried[attempt.person_id].add(attempt.at.astimezone(settings.tz).date())
    streaks = {}
    for person_id, dates in tried.items():
        best = run = 0
        for day in working_days:
            run = run + 1 if day in dates else 0
            best = max(best, run)
        streaks[person_id] = best
    return streaks


def _best(candidates: list[T], key: Callable[[T], Any]) -> list[T]:
    """Everyone who shares the best (lowest) key: a tie is a shared award."""
    if not candidates:
        return []
    top = min(key(c) for c in candidates)
    return [c for c in candidates if key(c) == top]


def _awards(
    settings: WallSettings,
    texts: Texts,
    span: PeriodSpan,
    count: int,
    previous_count: int | None,
    people: list[PersonRow],
    coaches: tuple[CoachRow, ...],
    streaks: dict[int, int],
    level_names: tuple[str, ...],
) -> tuple[Award, ...]:
    chosen = settings.harvest.awards

    def award(kind: AwardKind, winners: list[Winner], line: str, **facts: Any) -> Award:
        title = chosen.setting(kind).name or texts(f"award.{kind}")
        return Award(kind, title, tuple(winners), line, facts)

    def line(kind: AwardKind, winners: list[Winner], **values: object) -> str:
        key = f"award.{kind}.{'tie' if len(winners) > 1 else 'line'}"
        return texts(key, names=texts.names([w.name for w in winners]), **values)

    awards: list[Award] = []
    if chosen.team.enabled:
        goal = span.goal or 0
        attempts = texts.count("attempts", count)
        if goal <= 0:
            sentence = texts("award.team.no_goal", count=attempts)
        elif count >= goal:
            sentence = texts("award.team.reached", count=attempts, goal=goal)
        else:
            sentence = texts("award.team.short", count=attempts, goal=goal, percent=round(100 * count / goal))
        if previous_count is not None:
            sentence += " " + texts("award.team.previous", previous=texts.count("attempts", previous_count))
        awards.append(
            award(
                AwardKind.TEAM,
                [],
                sentence,
                count=count,
                goal=goal,
                previous_count=previous_count,
                reached=goal > 0 and count >= goal,
            )
        )
    if chosen.climber.enabled:
        climbers = _best([p for p in people if p.climbed > 0], key=lambda p: (-p.climbed, p.start_level, -p.attempts))
        if climbers:
            winners = [Winner(p.id, p.name, p.climbed) for p in climbers]
            climber = climbers[0]
            assert climber.start_level is not None and climber.end_level is not None  # it climbed
            awards.append(
                award(
                    AwardKind.CLIMBER,
                    winners,
                    line(
                        AwardKind.CLIMBER,
                        winners,
                        levels=texts.count("levels", climber.climbed),
                        start=level_names[climber.start_level],
                        end=level_names[climber.end_level],
                    ),
                )
            )
    if chosen.most_attempts.enabled:
        busiest = _best([p for p in people if p.attempts > 0], key=lambda p: -p.attempts)
        if busiest:
            winners = [Winner(p.id, p.name, p.attempts) for p in busiest]
            awards.append(
                award(
                    AwardKind.MOST_ATTEMPTS,
                    winners,
                    line(AwardKind.MOST_ATTEMPTS, winners, times=texts.count("times", busiest[0].attempts)),
                )
            )
    if chosen.first_attempt.enabled:
        newcomers = [Winner(p.id, p.name, p.attempts) for p in people if p.first_attempt]
        if newcomers:
            awards.append(award(AwardKind.FIRST_ATTEMPT, newcomers, line(AwardKind.FIRST_ATTEMPT, newcomers)))
    if chosen.coach.enabled:
        best_coaches = _best(list(coaches), key=lambda c: (-c.people, -c.confirmations))
        if best_coaches:
            winners = [Winner(c.id, c.name, c.confirmations) for c in best_coaches]
            coach = best_coaches[0]
            awards.append(
                award(
                    AwardKind.COACH,
                    winners,
                    line(
                        AwardKind.COACH,
                        winners,
                        attempts=texts.count("attempts", coach.confirmations),
                        people=texts.count("people", coach.people),
                    ),
                    people=coach.people,
                )
            )
    if chosen.streak.enabled:
        keepers = _best([p for p in people if streaks.get(p.id, 0) >= MIN_STREAK_DAYS], key=lambda p: -streaks[p.id])
        if keepers:
            winners = [Winner(p.id, p.name, streaks[p.id]) for p in keepers]
            awards.append(
                award(
                    AwardKind.STREAK,
                    winners,
                    line(AwardKind.STREAK, winners, days=texts.count("days", winners[0].value)),
                )
            )
    return tuple(awards)


def closing_drafts(harvest: Harvest, closed_early: bool) -> list[Draft]:
    """What the end of a period records: its totals, then one event per award."""
    span = harvest.span
    totals = Draft(
        EventType.PERIOD_CLOSED,
        details={
            "period_id": span.id,
            "starts_at": span.starts_at.isoformat(),
            "ends_at": span.ends_at.isoformat(),
            "goal": span.goal,
            "count": harvest.count,
            "previous_count": harvest.previous_count,
            "people_tried": sum(1 for row in harvest.people if row.attempts),
            "closed_early": closed_early,
        },
    )
    return [totals] + [Draft(EventType.AWARD_GIVEN, details=award.as_details(span.id)) for award in harvest.awards]


JOURNEY_EVENTS = frozenset(
    {
        EventType.CARD_PLACED,
        EventType.CARD_MOVED,
        EventType.CARD_OFF_WALL,
        EventType.MOVE_CORRECTED,
        EventType.ATTEMPT_CONFIRMED,
        EventType.ATTEMPT_VOIDED,
    }
)


def compute_journey(
    events: Iterable[WallEvent],
    settings: WallSettings,
    person_id: int,
    name: str,
    photo: str | None,
    current: PeriodSpan | None,
    previous: PeriodSpan | None,
) -> Journey:
    """A person's levels over time and their attempts now and the period before, from the log."""
    fold = _Fold()
    levels = {slot: index for index, level in enumerate(settings.levels) for slot in level.slots}
    steps: list[tuple[datetime, int]] = []
    for event in events:
        fold.apply(event)
        slot = fold.wall.last_slot.get(person_id)
        if event.person_id == person_id and slot in levels and (not steps or steps[-1][1] != levels[slot]):
            steps.append((event.at, levels[slot]))
    counted = [a for a in fold.attempts if a.person_id == person_id and a.id not in fold.voided]

    def attempts_in(span: PeriodSpan | None) -> int:
        return 0 if span is None else sum(1 for a in counted if span.holds(a.at))

    return Journey(
        settings.language,
        name,
        photo,
        tuple(level.name for level in settings.levels),
        tuple(steps),
        attempts_in(current),
        attempts_in(previous),
    )

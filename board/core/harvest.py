"""What a harvest (the look back at a period) consists of, for the screen, the report and MQTT.

Computed from the event log by `board.wall.harvest`; plain frozen data so the
screen (which knows only `board.core`) and a report can draw it.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from board.core.settings import AwardKind


@dataclass(frozen=True)
class PeriodSpan:
    """A stretch of time to look back on: a recorded period (with id and goal) or any range."""

    starts_at: datetime
    ends_at: datetime
    id: int | None = None
    goal: int | None = None

    def holds(self, moment: datetime) -> bool:
        """Whether `moment` falls in the span, as instants (Python compares two times of one zone by the clock,
        wrong in the hour the clocks go back)."""
        return self.starts_at.astimezone(UTC) <= moment.astimezone(UTC) < self.ends_at.astimezone(UTC)

    def has_begun(self, moment: datetime) -> bool:
        return moment.astimezone(UTC) >= self.starts_at.astimezone(UTC)

    def has_ended(self, moment: datetime) -> bool:
        return moment.astimezone(UTC) >= self.ends_at.astimezone(UTC)


@dataclass(frozen=True)
class Winner:
    id: int  # a person's id; a coach's id for the coach award
    name: str
    value: int  # levels, attempts, confirmations or days, by award


@dataclass(frozen=True)
class Award:
    kind: AwardKind
    title: str
    winners: tuple[Winner, ...]  # empty for the team award, several on a tie
    line: str  # one plain sentence, in the wall's language
    facts: dict[str, Any] = field(default_factory=dict)  # the numbers behind the line

    def as_details(self, period_id: int | None) -> dict[str, Any]:
        """The `award_given` event's details."""
        return {
            "period_id": period_id,
            "award": str(self.kind),
            "title": self.title,
            "line": self.line,
            "winners": [{"id": w.id, "name": w.name, "value": w.value} for w in self.winners],
            **self.facts,
        }


@dataclass(frozen=True)
class PersonRow:
    id: int
    name: str
    attempts: int
    start_level: int | None  # None: not on the wall in this period
    end_level: int | None
    first_attempt: bool  # their first confirmed attempt ever fell in the period
    archived: bool = False

    @property
    def climbed(self) -> int:
        if self.start_level is None or self.end_level is None:
            return 0
        return self.end_level - self.start_level


@dataclass(frozen=True)
class CoachRow:
    id: int
    name: str
    confirmations: int
    people: int  # distinct people confirmed


@dataclass(frozen=True)
class Harvest:
    board_id: str
    language: str
    span: PeriodSpan
    count: int  # confirmed, non-voided attempts in the span
    previous_count: int | None  # the same for the period before, when there is one
    per_day: tuple[tuple[date, int], ...]  # every local day of the span
    people: tuple[PersonRow, ...]  # everyone active or on the wall in the span
    coaches: tuple[CoachRow, ...]
    level_names: tuple[str, ...]  # bottom first
    level_slots: tuple[tuple[str, ...], ...]  # each level's slots, bottom first
    wall_before: dict[str, int]  # slot -> person id at the start
    wall_after: dict[str, int]  # slot -> person id at the end
    awards: tuple[Award, ...]
    photos: dict[int, str] = field(default_factory=dict)  # person id -> photo path, for the screen

    @property
    def fraction(self) -> float:
        goal = self.span.goal
        if not goal:
            return 1.0
        return min(1.0, self.count / goal)

    def name_of(self, person_id: int) -> str:
        return next((row.name for row in self.people if row.id == person_id), "?")

    @property
    def moved(self) -> set[int]:
        """People whose card hangs elsewhere at the end than at the start."""
        before = {person: slot for slot, person in self.wall_before.items()}
        after = {person: slot for slot, person in self.wall_after.items()}
        return {person for person in before.keys() | after.keys() if before.get(person) != after.get(person)}


@dataclass(frozen=True)
class Journey:
    """One person's own story on the wall, shown when they tap their card on the pad."""

    language: str
    name: str
    photo: str | None
    level_names: tuple[str, ...]  # bottom first
    steps: tuple[tuple[datetime, int], ...]  # (when, level) each time their card reached another level
    attempts_now: int  # this period
    attempts_before: int  # the period before

    @property
    def level(self) -> int | None:
        return self.steps[-1][1] if self.steps else None

    @property
    def next_level(self) -> str | None:
        """The name of the level above theirs; None at the top."""
        level = self.level if self.level is not None else -1
        return self.level_names[level + 1] if level + 1 < len(self.level_names) else None

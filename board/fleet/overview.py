"""What the company dashboard shows, read from the fleet database: every wall, the ranking, the quiet ones.

Only reads: the collector is the one writer. The per-wall figures (the open
period's attempts, who moved up) are the ones the collector derived with the
wall's own fold; this module adds the comparison across walls.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from board.core.harvest import PeriodSpan
from board.fleet.dashboard_config import DashboardConfig
from board.fleet.harvests import LIGHT, period_span
from board.fleet.models import Period, Person, Wall


class Quiet(StrEnum):
    OFFLINE = "offline"  # its retained availability says so (or its last will did)
    SILENT = "silent"  # no event for `quiet_hours`


@dataclass(frozen=True)
class WallSummary:
    board_id: str
    name: str
    location: str | None
    online: bool
    availability_at: datetime | None
    last_event_at: datetime | None
    people: int  # on the board, not archived
    period: PeriodSpan | None  # the open period, when it holds the moment of the overview
    attempts: int  # confirmed, not voided, in that period
    moved_up: tuple[str, ...]  # names of the people who moved up in it
    quiet: Quiet | None

    @property
    def goal(self) -> int | None:
        return None if self.period is None else self.period.goal

    @property
    def fraction(self) -> float:
        """The thermometer, as on the wall: attempts against the goal, full at the goal."""
        if not self.goal:
            return 1.0 if self.period is not None else 0.0
        return min(1.0, self.attempts / self.goal)

    @property
    def period_days(self) -> float:
        """The open period's length in days (a week is 7, also across a clock change)."""
        if self.period is None:
            return 0.0
        return round((self.period.ends_at - self.period.starts_at).total_seconds() / 86400)


@dataclass(frozen=True)
class Ranked:
    """One wall in the ranking: score = (attempts / people) / (goal per person per week × days / 7)."""

    place: int
    wall: WallSummary
    per_person: float  # attempts / people
    target: float  # goal per person for the wall's period
    score: float  # per_person / target; 1.0 = exactly the goal per person

    @property
    def own_goal_fraction(self) -> float | None:
        goal = self.wall.goal
        return None if not goal else self.wall.attempts / goal


@dataclass(frozen=True)
class Overview:
    now: datetime
    walls: tuple[WallSummary, ...]  # by name
    ranking: tuple[Ranked, ...]  # best first
    unranked: tuple[WallSummary, ...]  # no people, or no current period

    def place_of(self, board_id: str) -> int | None:
        return next((row.place for row in self.ranking if row.wall.board_id == board_id), None)

    @property
    def quiet(self) -> tuple[WallSummary, ...]:
        return tuple(wall for wall in self.walls if wall.quiet is not None)

    @property
    def people(self) -> int:
        return sum(wall.people for wall in self.walls)

    @property
    def attempts(self) -> int:
        return sum(wall.attempts for wall in self.walls)


def load_overview(session: Session, config: DashboardConfig, now: datetime) -> Overview:
    """Every wall with its open period, who moved up in it and whether it went quiet; then the ranking."""
    walls = session.scalars(select(Wall).options(*LIGHT).order_by(Wall.name, Wall.board_id)).all()
    periods = {
        (period.board_id, period.period_id): period
        for period in session.scalars(
            select(Period).join(Wall, (Wall.board_id == Period.board_id) & (Wall.period_id == Period.period_id))
        )
    }
    moved_up: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for person in session.scalars(select(Person).where(Person.moved_up_at.is_not(None), Person.archived.is_(False))):
        assert person.moved_up_at is not None  # selected so
        moved_up[person.board_id].append((person.moved_up_at, person.name or "?"))
    summaries = []
    for wall in walls:
        row = periods.get((wall.board_id, wall.period_id))
        span = None
        if row is not None:
            span = period_span(row, config.tz)
            if not span.holds(now):
                span = None  # the wall has not started its next period (yet): nothing to compare
        summaries.append(
            WallSummary(
                board_id=wall.board_id,
                name=wall.name,
                location=config.location_of(wall.board_id),
                online=wall.online,
                availability_at=wall.availability_at,
                last_event_at=wall.last_event_at,
                people=wall.people,
                period=span,
                attempts=wall.attempts if span is not None else 0,
                moved_up=tuple(name for _at, name in sorted(moved_up[wall.board_id])) if span is not None else (),
                quiet=quiet(wall, now, timedelta(hours=config.quiet_hours)),
            )
        )
    ranking, unranked = rank(summaries, config.goal_per_person_per_week)
    return Overview(now, tuple(summaries), ranking, unranked)


def quiet(wall: Wall, now: datetime, silence: timedelta) -> Quiet | None:
    if not wall.online:
        return Quiet.OFFLINE
    if wall.last_event_at is None or now - wall.last_event_at > silence:
        return Quiet.SILENT
    return None


def rank(
    walls: list[WallSummary], goal_per_person_per_week: float
) -> tuple[tuple[Ranked, ...], tuple[WallSummary, ...]]:
    """Walls by score, best first; equal scores share a place. Walls without people or a current period are left out.

    The yardstick is one company-wide goal per person, not each wall's own goal,
    so a team cannot climb the ranking by setting itself a low goal, and a team
    of five that tries twice as often per person beats a team of thirty.
    """
    scored = []
    unranked = []
    for wall in walls:
        if wall.people <= 0 or wall.period is None:
            unranked.append(wall)
            continue
        per_person = wall.attempts / wall.people
        target = goal_per_person_per_week * wall.period_days / 7
        scored.append((per_person / target, per_person, target, wall))
    scored.sort(key=lambda item: (-item[0], item[3].name.casefold(), item[3].board_id))
    ranking = []
    for index, (score, per_person, target, wall) in enumerate(scored):
        shared = ranking and abs(ranking[-1].score - score) < 1e-9
        place = ranking[-1].place if shared else index + 1
        ranking.append(Ranked(place, wall, per_person, target, score))
    return tuple(ranking), tuple(unranked)

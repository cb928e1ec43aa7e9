"""Three real walls of different sizes, played on simulated readers, and their events in a fleet database.

The walls record their own events (scanner, rules, store); the fleet database
gets them as the collector does (`board.fleet.ledger`), as published payloads.

The hand computation the dashboard's ranking must match (goal: 2 attempts per
person per week, every wall's period a week):

| wall     | people | attempts | per person     | score |
|----------|--------|----------|----------------|-------|
| retentie | 3      | 6        | 6 / 3 = 2.0    | 100 % |
| service  | 6      | 10       | 10 / 6 = 1.667 | 83 %  |
| verkoop  | 12     | 18       | 18 / 12 = 1.5  | 75 %  |

(score = per person / 2; a week-long period: 2 × 7 / 7 = 2 attempts per person.)
The big wall has the most attempts and the small one wins.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from board.fleet.ledger import record
from board.mqtt.state import snapshot_payload
from board.wall.reports import harvest_of, resolve_span
from tests.harness import MONDAY_9AM, SMALL_WALL, Wall

COACH_BADGE = "C0AC00FF"
GOAL_PER_PERSON_PER_WEEK = 2.0
TRICKY_NAME = "Bo <b>Jansen</b> & Co"  # a person's name is whatever someone typed, markup too


@dataclass
class WallPlan:
    board_id: str
    people: int
    attempts: int
    goal: int  # the wall's own goal for the period (the thermometer's top)
    coach: str
    names: tuple[str, ...]  # the team; the first `people` of them are on the wall
    online: bool = True
    climbers: tuple[str, ...] = ()  # of the names: they move from level A to level B


PLANS = (
    WallPlan(
        "verkoop",
        people=12,
        attempts=18,
        goal=30,
        coach="Mo",
        names=("Sanne", "Daan", "Priya", "Bram", "Ayla", "Tim", "Youssef", "Iris", "Julia", "Finn", "Levi", "Jeroen"),
    ),
    WallPlan(
        "service",
        people=6,
        attempts=10,
        goal=12,
        coach="Fatima",
        names=("Yara", "Sem", "Lotte", "Milan", "Zoë", "Ayoub"),
        online=False,
    ),
    WallPlan(
        "retentie",
        people=3,
        attempts=6,
        goal=6,
        coach="Kees",
        names=(TRICKY_NAME, "Noor", "Emma"),
        climbers=(TRICKY_NAME, "Noor"),
    ),
)
# (place, board_id, people, attempts, attempts per person, score), worked out by hand above
HAND_RANKING = [
    (1, "retentie", 3, 6, 2.0, 1.0),
    (2, "service", 6, 10, 10 / 6, (10 / 6) / 2),
    (3, "verkoop", 12, 18, 1.5, 0.75),
]


@dataclass
class PlayedWall:
    board_id: str
    online: bool
    snapshot: dict
    payloads: list[dict]
    now: datetime
    award_lines: list[str]  # the awards the wall itself hands out for this period, in Dutch


def play(plan: WallPlan, directory) -> PlayedWall:
    """A wall with `plan.people` people whose coach confirms `plan.attempts` attempts at the pad, round by round."""
    directory.mkdir()
    wall = Wall(directory, SMALL_WALL.replace('board_id = "test"', f'board_id = "{plan.board_id}"'))
    try:
        names = list(plan.names[: plan.people])
        cards = {name: f"04{plan.board_id[:2].upper().encode().hex()}{n:08X}" for n, name in enumerate(names)}
        for name in names:
            wall.service.add_person(name, card=cards[name])
        wall.service.add_coach(plan.coach, COACH_BADGE)
        wall.service.set_goal(plan.goal)
        for name in plan.climbers:  # hung at the bottom, then moved up a level
            wall.show(f"A{names.index(name) + 1}", cards[name])
        wall.wait(20)
        for name in plan.climbers:
            wall.show(f"A{names.index(name) + 1}")
            wall.show(f"B{names.index(name) + 1}", cards[name])
            wall.wait(3)
        left = plan.attempts
        while left:
            wall.wait(61)  # past the duplicate window: the same coach may confirm the same person again
            wall.tap("pad", COACH_BADGE)
            for name in names[: min(left, len(names))]:
                wall.tap("pad", cards[name])
            left -= min(left, len(names))
        snapshot = wall.service.snapshot()
        assert snapshot.period.count == plan.attempts, "every attempt of the plan was confirmed"
        payloads = [event.as_payload() for event in wall.store.events_since(0, 100_000)]
        span = resolve_span(wall.store, wall.config, "current", wall.clock.now())
        awards = [award.line for award in harvest_of(wall.store, wall.config, span).awards]
        return PlayedWall(plan.board_id, plan.online, snapshot_payload(snapshot), payloads, wall.clock.now(), awards)
    finally:
        wall.close()


def play_company(directory) -> list[PlayedWall]:
    return [play(plan, directory / plan.board_id) for plan in PLANS]


def collect(engine, walls: list[PlayedWall]) -> datetime:
    """Write the walls' state, availability and events through the collector's write path; returns the latest moment."""
    latest = MONDAY_9AM
    for wall in walls:
        with Session(engine) as session, session.begin():
            record(session, wall.now, states={wall.board_id: wall.snapshot}, availability={wall.board_id: wall.online})
        for start in range(0, len(wall.payloads), 50):  # in batches, as the collector takes them off the broker
            with Session(engine) as session, session.begin():
                record(session, wall.now, events={wall.board_id: wall.payloads[start : start + 50]})
        latest = max(latest, wall.now)
    return latest + timedelta(minutes=5)

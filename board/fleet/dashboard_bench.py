"""The dashboard's page times over a full fleet database: the `dashboard` part of `wallboard fleet bench`.

The database is filled through the collector's write path (`board.fleet.ledger.record`)
with a year of history per wall: a period each week, the team added and hung, then
card moves and confirmed attempts spread over the weeks, as `WallEvent.as_payload`
publishes them. The pages are then asked in-process (Flask's test client, so the
figures are the dashboard's own work, without the network), first cold and then
again: the overview and ranking query the derived tables; awards and harvest fold
each wall's log with the wall's harvest code once and keep the result until the
wall sends something new.
"""

import random
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, insert, literal, select
from sqlalchemy.orm import Session

from board.core.clock import FakeClock
from board.core.events import EventType, WallEvent
from board.fleet.dashboard import create_app
from board.fleet.dashboard_config import DashboardConfig, new_token
from board.fleet.db import open_fleet
from board.fleet.ledger import record
from board.fleet.models import Event, Period, Person, Wall

PAGES = ("/", "/ranking", "/awards", "/harvest", "/export/walls.csv", "/export/ranking.csv", "/export/attempts.csv")
LEVELS = 3
WEEKS = 52
BATCH = 5000  # events per transaction while filling
LOCATION_WALLS = 10  # walls in the location whose PDF report is timed
DISTINCT_WALLS = 10  # walls written through the ledger; the others are copies of them


def history(board_id: str, people: int, events: int, now: datetime, rng: random.Random) -> Iterator[dict[str, Any]]:
    """A wall's published log of `events` events: WEEKS weekly periods up to `now`, moves and attempts in each."""
    per_level = -(-(people + people // 5) // LEVELS)
    slots = [[f"{chr(65 + level)}{n + 1}" for n in range(per_level)] for level in range(LEVELS)]
    level_of = {slot: level for level, row in enumerate(slots) for slot in row}
    first = (now - timedelta(weeks=WEEKS - 1, days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    seq = 0

    def event(kind: EventType, at: datetime, **fields: Any) -> dict[str, Any]:
        nonlocal seq
        seq += 1
        return WallEvent(kind, seq=seq, at=at, **fields).as_payload()

    where: dict[int, str] = {}
    yield event(
        EventType.PERIOD_STARTED,
        first,
        details={
            "period_id": 1,
            "starts_at": first.isoformat(),
            "ends_at": (first + timedelta(weeks=1)).isoformat(),
            "goal": 2 * people,
        },
    )
    for person in range(1, people + 1):
        name = f"Persoon {person}"
        yield event(EventType.PERSON_ADDED, first, person_id=person, details={"person_name": name, "photo": None})
        where[person] = [slot for row in slots for slot in row][person - 1]  # from the bottom up
        yield event(
            EventType.CARD_PLACED,
            first,
            person_id=person,
            slot_id=where[person],
            details={"person_name": name, "from_slot": None, "last_slot": None, "level_change": 0},
        )
    per_week, extra = divmod(max(0, events - seq - (WEEKS - 1)), WEEKS)  # after a period start each week
    attempt = 0
    for week in range(WEEKS):
        starts = first + timedelta(weeks=week)
        if week:
            yield event(
                EventType.PERIOD_STARTED,
                starts,
                details={
                    "period_id": week + 1,
                    "starts_at": starts.isoformat(),
                    "ends_at": (starts + timedelta(weeks=1)).isoformat(),
                    "goal": 2 * people,
                },
            )
        room = min(timedelta(weeks=1), now - starts) if starts < now else timedelta(hours=1)
        moments = sorted(starts + room * rng.random() for _ in range(per_week + (week < extra)))
        for at in moments:
            person = rng.randint(1, people)
            name = f"Persoon {person}"
            if rng.random() < 0.3:
                taken = set(where.values())
                to_slot = rng.choice([slot for row in slots for slot in row if slot not in taken])
                from_slot, where[person] = where[person], to_slot
                change = level_of[to_slot] - level_of[from_slot]
                yield event(
                    EventType.CARD_MOVED,
                    at,
                    person_id=person,
                    slot_id=to_slot,
                    details={
                        "person_name": name,
                        "from_slot": from_slot,
                        "last_slot": from_slot,
                        "level_change": change,
                    },
                )
            else:
                attempt += 1
                yield event(
                    EventType.ATTEMPT_CONFIRMED,
                    at,
                    person_id=person,
                    coach_id=1,
                    slot_id=where[person],
                    details={
                        "person_name": name,
                        "coach_name": "Coach",
                        "via": "slot",
                        "period_id": week + 1,
                        "attempt_id": attempt,
                    },
                )


def layout(board_id: str, people: int) -> dict[str, Any]:
    """The parts of a wall's retained `state` the collector reads: its levels and slots."""
    per_level = -(-(people + people // 5) // LEVELS)
    return {
        "board_id": board_id,
        "language": "nl",
        "levels": [
            {
                "id": chr(65 + level),
                "name": f"Niveau {level + 1}",
                "slots": [{"id": f"{chr(65 + level)}{n + 1}"} for n in range(per_level)],
            }
            for level in range(LEVELS)
        ],
    }


def fill(engine: Engine, walls: int, people: int, events: int, now: datetime, distinct: int) -> dict[str, Any]:
    """`walls` walls with `events` events between them: `distinct` walls written through the collector's write path
    (`ledger.record`, which folds them), then copied row for row in SQL to make up the number (an hour of
    writing at the ledger's pace on this machine saved; the copies are what the dashboard would read)."""
    rng = random.Random(14)
    per_wall = events // walls
    started = time.monotonic()
    originals = [f"bench-{number:04d}" for number in range(min(walls, distinct))]
    for board_id in originals:
        with Session(engine) as session, session.begin():
            record(session, now, states={board_id: layout(board_id, people)}, availability={board_id: True})
        payloads = list(history(board_id, people, per_wall, now, rng))
        for start in range(0, len(payloads), BATCH):
            with Session(engine) as session, session.begin():
                record(session, now, events={board_id: payloads[start : start + BATCH]})
    written = time.monotonic() - started
    for number in range(len(originals), walls):
        with Session(engine) as session, session.begin():
            copy_wall(session, originals[number % len(originals)], f"bench-{number:04d}")
    with Session(engine) as session:
        stored = session.scalar(select(func.count()).select_from(Event))
    return {
        "events": stored,
        "written_through_the_ledger": {"walls": len(originals), "seconds": round(written, 1)},
        "filled_in_s": round(time.monotonic() - started, 1),
    }


def copy_wall(session: Session, source: str, target: str) -> None:
    """Every row of wall `source` (the wall, its events, people and periods) again as wall `target`."""
    for model in (Wall, Event, Person, Period):
        table = model.__table__
        renamed = {"board_id": target, "name": target}
        columns = [
            literal(renamed[column.name]).label(column.name) if column.name in renamed else column
            for column in table.columns
        ]
        query = select(*columns).where(table.c.board_id == source)
        session.execute(insert(table).from_select([column.name for column in table.columns], query))


def page_times(engine: Engine, now: datetime, walls: int, repeats: int = 5) -> dict[str, Any]:
    """Each page's time: the first request (cold) and the median of `repeats` more; and one location's PDF."""
    token, digest = new_token()
    location = [f"bench-{number:04d}" for number in range(min(walls, LOCATION_WALLS))]
    config = DashboardConfig(token_hashes=[digest], locations={"Bench": location})
    app = create_app(engine, config, FakeClock(now, config.tz))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    def timed(path: str) -> tuple[float, int]:
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"dashboard bench: {path} answered {response.status_code}")
        return elapsed, len(response.data)

    results: dict[str, Any] = {}
    for path in (*PAGES, "/harvest/Bench.pdf"):
        first, size = timed(path)
        again = [timed(path)[0] for _ in range(repeats if not path.endswith(".pdf") else 1)]
        results[path] = {"first_ms": round(first, 1), "again_ms_p50": round(statistics.median(again), 1), "bytes": size}
    return results


def measure(
    url: str, walls: int = 200, people: int = 30, events: int = 1_000_000, distinct: int = DISTINCT_WALLS
) -> dict[str, Any]:
    """Fill a fresh fleet database at `url` and time the dashboard's pages over it."""
    engine = open_fleet(url)
    try:
        now = datetime.now(UTC)
        filled = fill(engine, walls, people, events, now, distinct)
        return {"walls": walls, "people_per_wall": people, **filled, "pages": page_times(engine, now, walls)}
    finally:
        engine.dispose()

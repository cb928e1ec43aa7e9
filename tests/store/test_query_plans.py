"""What SQLite does for the queries a start and the thermometer make (EXPLAIN QUERY PLAN).

A wall that has run for years holds a million events and hundreds of thousands of
attempts: a start and a thermometer reading must find their rows by an index,
never read those tables whole. Small tables (levels, slots, people, cards, coaches,
periods) may be read whole.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event

from tests.harness import DAAN, MO_BADGE, SANNE, Wall

LONG_TABLES = ("events", "attempts", "positions", "outbox", "checkpoint")


@contextmanager
def statements() -> Iterator[list[tuple[str, tuple]]]:
    """Every SQL statement any engine runs inside the block, with its parameters."""
    seen: list[tuple[str, tuple]] = []

    def grab(_connection, _cursor, statement, parameters, _context, many) -> None:
        seen.append((statement, parameters[0] if many else parameters))

    event.listen(Engine, "before_cursor_execute", grab)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", grab)


def plans(database: str, seen: list[tuple[str, tuple]]) -> dict[str, list[str]]:
    """Each query's plan, as SQLite's EXPLAIN QUERY PLAN details."""
    with sqlite3.connect(database) as connection:
        return {
            statement: [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)]
            for statement, parameters in seen
            if statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "INSERT"))
        }


def reads_a_long_table_whole(details: list[str]) -> bool:
    return any(detail.startswith(f"SCAN {table}") for detail in details for table in LONG_TABLES)


def lived_in_wall(tmp_path) -> Wall:
    wall = Wall(tmp_path)
    wall.store.checkpoint_every = 5
    people = wall.add_people()
    wall.show("A1", SANNE)
    wall.show("B1", DAAN)
    wall.tap("B1", MO_BADGE)
    attempt = wall.service.add_attempt(people["Sanne"], None, "by hand")
    wall.service.void_attempt(attempt.details["attempt_id"], "mistake")
    wall.show("A1")
    wall.wait(30)
    return wall


def test_a_start_finds_the_log_and_the_checkpoint_by_their_keys_and_reads_no_long_table_whole(tmp_path):
    before = lived_in_wall(tmp_path)
    before.close()
    with statements() as seen:  # what `wallboard run` does before its threads: open, load, catch up
        wall = Wall(tmp_path, start=before.clock.now())
        wall.service.show_last_harvest()
    wall.close()
    database = wall.config.database_url.removeprefix("sqlite:///")
    planned = plans(database, seen)
    assert any("FROM events" in statement for statement in planned)  # the start did read the log
    assert {statement: details for statement, details in planned.items() if reads_a_long_table_whole(details)} == {}


def test_the_thermometer_reads_one_row_of_its_period_not_the_periods_attempts(tmp_path):
    wall = lived_in_wall(tmp_path)
    with statements() as seen:
        count = wall.store.thermometer(wall.service.state.period.id)
    wall.close()
    assert count == 1
    [details] = plans(wall.config.database_url.removeprefix("sqlite:///"), seen).values()
    assert details == ["SEARCH periods USING INTEGER PRIMARY KEY (rowid=?)"]

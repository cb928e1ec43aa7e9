"""What SQLite does for the queries a start and the thermometer make (EXPLAIN QUERY PLAN).

A wall that has run for years holds a million events and hundreds of thousands of
attempts: a start and a thermometer reading must find their rows by an index,
never read those tables whole. Small tables (levels, slots, people, cards, coaches,
periods) may be read whole.
"""

from board.dev.bench import query_plan, statements
from tests.harness import DAAN, MO_BADGE, SANNE, Wall

LONG_TABLES = ("events", "attempts", "positions", "outbox", "checkpoint")


def plans(wall: Wall, seen: list[str]) -> dict[str, list[str]]:
    return {statement: query_plan(wall.store, statement) for statement in seen}


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
    planned = plans(wall, seen)
    wall.close()
    assert any("FROM events" in statement for statement in planned)  # the start did read the log
    assert {statement: details for statement, details in planned.items() if reads_a_long_table_whole(details)} == {}


def test_the_thermometer_reads_one_row_of_its_period_not_the_periods_attempts(tmp_path):
    wall = lived_in_wall(tmp_path)
    with statements() as seen:
        count = wall.store.thermometer(wall.service.state.period.id)
    [details] = plans(wall, seen).values()
    wall.close()
    assert count == 1
    assert details == ["SEARCH periods USING INTEGER PRIMARY KEY (rowid=?)"]

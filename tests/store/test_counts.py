"""The period's counts: kept with each attempt, and always what a replay of the log says.

The thermometer reads `periods.attempts`, written in the attempt's (or the void's) own
transaction; the live wall reads the fold's tally. Whatever happens (voids, a new day,
a new period, a process killed mid-write), both equal the log replayed from the start.
"""

import json
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command

from board.core.errors import CommandError
from board.core.events import Draft, EventType
from board.core.state import checkpoint_of
from store import migrate
from store.engine import make_engine
from store.repository import Store
from tests.harness import Wall

ROOT = Path(__file__).resolve().parents[2]


def counted_attempts(store: Store, period_id: int) -> int:
    """The period's attempts counted the slow way, row by row."""
    with store.connections.connection() as connection:
        query = "SELECT count(*) FROM attempts WHERE period_id = ? AND NOT voided"
        return connection.execute(query, (period_id,)).fetchone()[0]


def assert_counts_agree_with_a_replay(store: Store) -> None:
    loaded, _ = store.load_state()
    replayed, _ = store.replay()
    assert loaded.recorded() == replayed.recorded()
    for period in store.periods():
        assert store.thermometer(period.id) == counted_attempts(store, period.id)
    if replayed.period is not None:
        assert store.thermometer(replayed.period.id) == replayed.period.count


def days_pass(wall: Wall, days: int) -> None:
    wall.clock.advance(timedelta(days=days).total_seconds())
    wall.wait(0)


def test_a_void_counts_the_attempt_out_of_the_day_it_was_made_not_today(wall):
    sanne, daan = wall.people["Sanne"], wall.people["Daan"]
    monday = wall.service.add_attempt(sanne, None, "by hand")
    days_pass(wall, 1)
    wall.service.add_attempt(daan, None, "by hand")
    wall.service.void_attempt(monday.details["attempt_id"], "wrong person")
    period = wall.service.snapshot().period
    assert (period.count, period.today, period.people_tried) == (1, 1, 1)
    assert wall.store.thermometer(period.id) == 1
    assert wall.service.state.period.tries == {daan: 1}
    assert_counts_agree_with_a_replay(wall.store)


def test_a_void_of_last_periods_attempt_leaves_this_periods_count_alone(wall):
    last_week = wall.service.add_attempt(wall.people["Sanne"], None, "by hand")
    days_pass(wall, 7)
    this_week = wall.service.add_attempt(wall.people["Daan"], None, "by hand")
    assert this_week.details["period_id"] != last_week.details["period_id"]
    wall.service.void_attempt(last_week.details["attempt_id"], "counted twice")
    assert wall.service.snapshot().period.count == 1
    assert wall.store.thermometer(last_week.details["period_id"]) == 0
    assert wall.store.thermometer(this_week.details["period_id"]) == 1
    assert_counts_agree_with_a_replay(wall.store)


def test_a_second_void_of_the_same_attempt_is_refused_inside_the_write_and_counts_nothing_out(wall):
    """The CLI and the wall may both have read the attempt as not voided yet."""
    event = wall.service.add_attempt(wall.people["Sanne"], None, "by hand")
    wall.service.add_attempt(wall.people["Daan"], None, "by hand")
    attempt_id, period_id = event.details["attempt_id"], event.details["period_id"]
    wall.service.void_attempt(attempt_id, "mistake")
    seq = wall.store.last_seq()
    draft = Draft(
        EventType.ATTEMPT_VOIDED, person_id=event.person_id, details={"attempt_id": attempt_id, "reason": "again"}
    )
    with pytest.raises(CommandError) as refused, wall.store.write() as writer:
        writer.append(draft, wall.clock.now())
    assert refused.value.code == "conflict"
    assert wall.store.last_seq() == seq and wall.store.thermometer(period_id) == 1
    assert_counts_agree_with_a_replay(wall.store)


def test_a_checkpoint_in_the_former_format_listing_every_attempt_loads_as_the_same_counts(wall):
    """After an upgrade the wall starts from the checkpoint it has, not from the whole log."""
    sanne, daan = wall.people["Sanne"], wall.people["Daan"]
    first = wall.service.add_attempt(sanne, None, "by hand")
    days_pass(wall, 1)
    wall.service.add_attempt(daan, None, "by hand")
    wall.service.add_attempt(sanne, None, "by hand")
    wall.service.void_attempt(first.details["attempt_id"], "mistake")
    state, seq = wall.store.replay()
    former = checkpoint_of(state)
    with wall.store.connections.transaction(write=True) as connection:
        rows = connection.execute(
            "SELECT id, at, person_id FROM attempts WHERE period_id = ? AND NOT voided", (state.period.id,)
        ).fetchall()
        former["period"] = {
            key: former["period"][key] for key in ("id", "starts_at", "ends_at", "goal", "goal_reached")
        }
        former["period"]["attempts"] = [list(row) for row in rows]
        connection.execute("DELETE FROM checkpoint")
        connection.execute(
            "INSERT INTO checkpoint (id, format, seq, state) VALUES (1, 2, ?, json(?))",
            (seq, json.dumps(former)),
        )
    loaded, loaded_seq = Store(wall.config).load_state()
    assert loaded_seq == seq
    assert loaded.period.days and loaded.recorded() == state.recorded()


def test_after_the_board_moves_to_another_timezone_a_start_counts_the_days_as_a_replay_does(tmp_path):
    """Days are local: a checkpoint counted them in the old timezone, so it is not used."""
    wall = Wall(tmp_path)
    wall.store.checkpoint_every = 1
    sanne = wall.add_people()["Sanne"]
    wall.clock.advance(14.5 * 3600)  # Monday 23:30 in Amsterdam, already Tuesday in Helsinki
    wall.service.add_attempt(sanne, None, "late")
    wall.service.add_attempt(sanne, None, "late")
    wall.close()
    config = wall.config_path.read_text(encoding="utf-8")
    wall.config_path.write_text(config.replace("Europe/Amsterdam", "Europe/Helsinki"), encoding="utf-8")
    moved = Wall(tmp_path, start=wall.clock.now())
    try:
        assert [day.isoformat() for day in moved.service.state.period.days] == ["2026-11-24"]
        assert_counts_agree_with_a_replay(moved.store)
    finally:
        moved.close()


def test_an_older_database_gets_its_counts_and_its_voids_their_attempts_period_and_time(tmp_path):
    """Migration 0003 on a wall that recorded a void before voids named their attempt's period."""
    wall = Wall(tmp_path)
    config = wall.config
    wall.close()
    config.database_path.unlink()
    store = Store(config)
    alembic = migrate._alembic_config()
    engine = make_engine(config.database_url)
    with engine.begin() as connection:
        alembic.attributes["connection"] = connection
        command.upgrade(alembic, "0002")
        sql = connection.exec_driver_sql
        sql("INSERT INTO people VALUES (1, 'Sanne', NULL, 0, '2026-11-23T08:00:00.000000+00:00')")
        sql("INSERT INTO periods VALUES (1, '2026-11-22T23:00:00.000000+00:00', '2026-11-29T23:00:00.000000+00:00', 5)")
        period = '{"starts_at": "2026-11-23T00:00:00+01:00", "ends_at": "2026-11-30T00:00:00+01:00", "goal": 5, "period_id": 1}'
        events = [
            (1, "2026-11-23T08:00:00.000000+00:00", "period_started", None, period),
            (2, "2026-11-23T08:01:00.000000+00:00", "person_added", 1, '{"person_name": "Sanne"}'),
            (
                3,
                "2026-11-23T22:30:00.000000+00:00",
                "attempt_confirmed",
                1,
                '{"via": "manual", "period_id": 1, "attempt_id": 1}',
            ),
            (
                4,
                "2026-11-24T09:00:00.000000+00:00",
                "attempt_confirmed",
                1,
                '{"via": "manual", "period_id": 1, "attempt_id": 2}',
            ),
            (5, "2026-11-24T09:05:00.000000+00:00", "attempt_voided", 1, '{"attempt_id": 1, "reason": "mistake"}'),
        ]
        for seq, at, kind, person, details in events:
            sql(
                "INSERT INTO events (seq, at, type, person_id, details) VALUES (?, ?, ?, ?, ?)",
                (seq, at, kind, person, details),
            )
        sql(
            "INSERT INTO attempts VALUES (1, 1, NULL, '2026-11-23T22:30:00.000000+00:00', 1, 'manual', NULL, 3, 1, 'mistake')"
        )
        sql(
            "INSERT INTO attempts VALUES (2, 1, NULL, '2026-11-24T09:00:00.000000+00:00', 1, 'manual', NULL, 4, 0, NULL)"
        )
    engine.dispose()
    store.open()
    assert store.revision() == migrate.head_revision()
    assert store.thermometer(1) == 1
    void = store.events_since(4, 1)[0]
    assert void.details["period_id"] == 1 and void.details["attempted_at"].startswith("2026-11-23T22:30")
    state, _ = store.replay()
    # 22:30 UTC on the 23rd is 23:30 in Amsterdam: the voided attempt was Monday's; Tuesday's stays.
    assert state.period.days == {void.at.date(): 1} and state.period.tries == {1: 1}
    assert_counts_agree_with_a_replay(store)
    store.close()


# -- a process killed while it records ---------------------------------------------------

BUSY_WALL = """
import itertools, sys
from pathlib import Path
from tests.harness import Wall

wall = Wall(Path(sys.argv[1]))
wall.store.checkpoint_every = 2  # a checkpoint after nearly every write: a kill often lands between the two
people = list(wall.add_people().values())
for i in itertools.count():
    event = wall.service.add_attempt(people[i % 2], None, "busy")
    if i % 3 == 2:
        wall.service.void_attempt(event.details["attempt_id"] - 1, "mistake")
    if i % 5 == 4:
        wall.clock.advance(29 * 3600)  # a new day every fifth attempt, a new period every thirty or so
        wall.wait(0)
    print(i, flush=True)
"""

CUT_OFF_WRITE = """
import sys, time
from pathlib import Path
from board.core.events import Draft, EventType
from tests.harness import Wall

wall = Wall(Path(sys.argv[1]))
person = wall.add_people()["Sanne"]
wall.service.add_attempt(person, None, "counted")
period_id = wall.service.state.period.id
with wall.store.write() as writer:
    details = {"person_name": "Sanne", "via": "manual", "period_id": period_id}
    writer.append(Draft(EventType.ATTEMPT_CONFIRMED, person_id=person, details=details), wall.clock.now())
    print("inside", flush=True)
    time.sleep(120)
"""


def run_until_killed(script: str, directory: Path, lines: int) -> None:
    """Run `script` on the wall in `directory` and kill it (SIGKILL: no clean-up) after `lines` lines of output."""
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(directory)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(lines):
            assert process.stdout.readline(), "the writing process ended before it was killed"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        process.stdout.close()


def test_a_write_cut_off_before_its_commit_leaves_neither_the_attempt_nor_its_count(tmp_path):
    run_until_killed(CUT_OFF_WRITE, tmp_path, 1)
    wall = Wall(tmp_path)
    try:
        assert wall.store.thermometer(wall.service.state.period.id) == 1 == wall.service.snapshot().period.count
        assert_counts_agree_with_a_replay(wall.store)
    finally:
        wall.close()


@pytest.mark.parametrize("lines, periods", [(7, 1), (31, 2)])
def test_a_wall_killed_while_it_records_attempts_voids_and_periods_restarts_with_counts_a_replay_agrees_with(
    tmp_path, lines, periods
):
    run_until_killed(BUSY_WALL, tmp_path, lines)
    wall = Wall(tmp_path)
    try:
        state = wall.service.state
        assert len(wall.store.periods()) >= periods
        assert wall.store.thermometer(state.period.id) == state.period.count == wall.service.snapshot().period.count
        assert_counts_agree_with_a_replay(wall.store)
    finally:
        wall.close()

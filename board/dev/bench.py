"""`wallboard bench`: speed figures as JSON, measured, never assumed.

Each section is a function returning JSON-able data; `run_all` collects them.
"""

import json
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from board.app.config import load_config
from board.app.runtime import simulated_readers
from board.core.clock import FakeClock
from board.wall.service import WallService
from sensors import bench_readers
from sensors.events import TagGone, TagSeen
from store.repository import Store
from store.sqlite import Connections

BENCH_TZ = ZoneInfo("Europe/Amsterdam")
BENCH_START = datetime(2026, 11, 23, 9, 0, tzinfo=BENCH_TZ)


def wall_config_text(levels: int, slots_per_level: int) -> str:
    parts = ['board_id = "bench"\ndata_dir = "data"\n']
    for level in range(levels):
        letter = chr(ord("A") + level)
        slots = ", ".join(f'"{letter}{i + 1}"' for i in range(slots_per_level))
        parts.append(f'[[levels]]\nid = "{letter}"\nname = "Level {letter}"\nslots = [{slots}]\n')
    return "\n".join(parts)


def _wall(directory: Path, levels: int = 3, slots_per_level: int = 8):
    path = directory / "wallboard.toml"
    path.write_text(wall_config_text(levels, slots_per_level), encoding="utf-8")
    config = load_config(path)
    store = Store(config).open()
    clock = FakeClock(BENCH_START, config.tz)
    service = WallService(config, store, simulated_readers(config), clock)
    service.tick()  # open the period, as a running wall does
    return config, store, clock, service


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def rules_and_store(event_count: int) -> dict:
    """Sensor events through the rules and into SQLite (synchronous=FULL) on a 24-slot wall."""
    with tempfile.TemporaryDirectory() as tmp:
        config, store, clock, service = _wall(Path(tmp))
        people = 12
        cards = [f"04BE{i:010X}" for i in range(people)]
        for i, card in enumerate(cards):
            service.add_person(f"Person {i}", card=card)
        service.add_coach("Coach", "C0AC0001")
        slots = config.slot_ids
        where = {}
        for i, card in enumerate(cards):
            where[card] = slots[i]
            service.handle(TagSeen(slots[i], card))
        timings = []
        recorded = 0
        free = [s for s in slots if s not in where.values()]
        started = time.perf_counter()
        for i in range(event_count // 2):
            clock.advance(61)
            card = cards[i % people]
            if i % 4 == 3:  # every fourth step a coach confirms instead of a move
                pair = [TagSeen(where[card], "C0AC0001"), TagGone(where[card], "C0AC0001")]
            else:
                target = free.pop(0)
                free.append(where[card])
                pair = [TagGone(where[card], card), TagSeen(target, card)]
                where[card] = target
            for event in pair:
                t0 = time.perf_counter()
                recorded += len(service.handle(event))
                timings.append((time.perf_counter() - t0) * 1000)
        elapsed = time.perf_counter() - started
        service.stop()
        store.close()
    return {
        "wall_slots": len(slots),
        "sensor_events": len(timings),
        "recorded_events": recorded,
        "sensor_events_per_second": round(len(timings) / elapsed, 1),
        "ms_per_sensor_event_p50": round(percentile(timings, 0.5), 3),
        "ms_per_sensor_event_p99": round(percentile(timings, 0.99), 3),
    }


def thermometer_query(log_size: int) -> dict:
    """The thermometer, a snapshot and a start with `log_size` events in the log.

    One event in five is an attempt, one attempt in ten is voided.
    The start is timed at its worst: a checkpoint `checkpoint_every` - 1 events before
    the end, so just short of the next one. The full replay that writes that checkpoint
    is timed too (the reference a start is checked against), and the count the
    thermometer read before the counter (row by row over the period's attempts).
    """
    from board.wall.view import snapshot_of

    with tempfile.TemporaryDirectory() as tmp:
        config, store, clock, service = _wall(Path(tmp))
        person_id = service.add_person("Sanne", card="04BE0000000001")
        coach_id = service.add_coach("Mo", "C0AC0001")
        period_id = service.snapshot().period.id
        tail = min(log_size, store.checkpoint_every - 1)
        fill_started = time.perf_counter()
        _fill_log(store, log_size - tail, person_id, coach_id, period_id)
        fill_seconds = time.perf_counter() - fill_started
        t0 = time.perf_counter()
        store.checkpoint(*store.replay())
        replay_ms = (time.perf_counter() - t0) * 1000
        _fill_log(store, tail, person_id, coach_id, period_id)
        service.stop()
        count, thermometer = _timed(lambda: store.thermometer(period_id))
        counted, row_by_row = _timed(lambda: _count_row_by_row(store, period_id))
        load, start = [], []
        for _ in range(5):
            t0 = time.perf_counter()
            restarted = Store(config).open()
            t1 = time.perf_counter()
            restarted.load_state()
            load.append((time.perf_counter() - t1) * 1000)
            again = WallService(config, restarted, simulated_readers(config), clock)
            again.tick()
            start.append((time.perf_counter() - t0) * 1000)
            restarted.close()
        state = again.state
        _, snapshot = _timed(
            lambda: snapshot_of(config, state, again.directory, version=1, now=clock.now(), message=None)
        )
        db_bytes = config.database_path.stat().st_size
        plans = {
            "thermometer_query_plan": _plan_of(store, lambda: store.thermometer(period_id)),
            "count_row_by_row_plan": query_plan(store, _ROW_BY_ROW_SQL, (period_id,)),
        }
        store.close()
    return {
        "events_in_log": log_size,
        "attempts_in_period": count,
        "attempts_counted_row_by_row": counted,
        "thermometer_query_ms_median": round(statistics.median(thermometer), 3),
        "thermometer_query_ms_p99": round(percentile(thermometer, 0.99), 3),
        "count_row_by_row_ms_median": round(statistics.median(row_by_row), 3),
        **plans,
        "snapshot_ms_median": round(statistics.median(snapshot), 3),
        "state_load_at_start_ms": round(statistics.median(load), 1),
        "start_ms": round(statistics.median(start), 1),
        "events_after_checkpoint": tail,
        "state_full_replay_ms": round(replay_ms, 1),
        "database_mb": round(db_bytes / 1e6, 1),
        "fill_seconds": round(fill_seconds, 1),
    }


_ROW_BY_ROW_SQL = "SELECT count(*) FROM attempts WHERE period_id = ? AND NOT voided"  # the count before the counter


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every query (not BEGIN, PRAGMA, ...) any store runs inside the block, its parameters filled in."""
    seen: list[str] = []

    def grab(statement: str) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
            seen.append(statement)

    Connections.trace = grab
    try:
        yield seen
    finally:
        Connections.trace = None


def query_plan(store: Store, statement: str, parameters: tuple = ()) -> list[str]:
    """SQLite's EXPLAIN QUERY PLAN of one statement: the index it searches, or SCAN for a whole table."""
    with store.connections.connection() as connection:
        return [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)]


def _plan_of(store: Store, call: Callable[[], Any]) -> list[str]:
    """The plan of the (one) query `call` makes."""
    with statements() as seen:
        call()
    [statement] = seen
    return query_plan(store, statement)


def _timed(measure: Callable[[], Any], times: int = 50) -> tuple[Any, list[float]]:
    """What `measure` returns, and how long each of `times` calls took (ms)."""
    timings = []
    for _ in range(times):
        t0 = time.perf_counter()
        value = measure()
        timings.append((time.perf_counter() - t0) * 1000)
    return value, timings


def _count_row_by_row(store: Store, period_id: int) -> int:
    with store.connections.connection() as connection:
        return connection.execute(_ROW_BY_ROW_SQL, (period_id,)).fetchone()[0]


def harvest_and_export(log_size: int) -> dict:
    """Closing a period (its harvest from the log) and exporting every attempt, `log_size` events in the log."""
    from board.wall.export import export_rows
    from board.wall.reports import harvest_of, resolve_span

    with tempfile.TemporaryDirectory() as tmp:
        config, store, clock, service = _wall(Path(tmp))
        person_id = service.add_person("Sanne", card="04BE0000000001")
        coach_id = service.add_coach("Mo", "C0AC0001")
        _fill_log(store, log_size, person_id, coach_id, service.snapshot().period.id)
        t0 = time.perf_counter()
        harvest_of(store, config, resolve_span(store, config, "current", clock.now()))
        harvest_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        rows = export_rows(store, config, "attempts", resolve_span(store, config, "all", clock.now()))
        export_s = time.perf_counter() - t0
        service.stop()
        store.close()
    return {
        "events_in_log": log_size,
        "harvest_seconds": round(harvest_s, 2),
        "export_attempts_rows": len(rows),
        "export_attempts_seconds": round(export_s, 2),
    }


def _fill_log(store: Store, count: int, person_id: int, coach_id: int, period_id: int) -> None:
    """Bulk-load a long history straight through sqlite3: setup, not what we measure.

    Every fifth event an attempt, every tenth attempt voided five events later, the
    period's counter raised by what stays counted, as `Writer.append` would leave them.
    """
    base = BENCH_START - timedelta(days=365)
    utc = ZoneInfo("UTC")
    connection = sqlite3.connect(store.connections.path, isolation_level=None)  # not the store's: sync stays FULL there
    try:
        cursor = connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("BEGIN")
        first_seq = cursor.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0] + 1
        first_attempt = cursor.execute("SELECT coalesce(max(id), 0) FROM attempts").fetchone()[0] + 1
        batch_events, batch_attempts = [], []
        counted = 0
        for i in range(count):
            seq = first_seq + i
            at = (base + timedelta(seconds=30 * seq)).astimezone(utc).isoformat(timespec="microseconds")
            attempt_id = first_attempt + i // 5
            if i % 5 == 0:
                voided = i % 50 == 0 and i + 5 < count
                details = {"via": "slot", "period_id": period_id, "attempt_id": attempt_id}
                batch_events.append(
                    (seq, at, "attempt_confirmed", person_id, "A1", coach_id, None, json.dumps(details))
                )
                batch_attempts.append((attempt_id, person_id, coach_id, at, period_id, "slot", "A1", seq, voided))
                counted += 0 if voided else 1
            elif i % 50 == 5:
                made_at = (base + timedelta(seconds=30 * (seq - 5))).astimezone(BENCH_TZ).isoformat()
                details = {
                    "attempt_id": attempt_id - 1,
                    "reason": "bench",
                    "period_id": period_id,
                    "attempted_at": made_at,
                }
                batch_events.append((seq, at, "attempt_voided", person_id, None, coach_id, None, json.dumps(details)))
            else:
                batch_events.append(
                    (seq, at, "card_moved", person_id, "A1", None, None, json.dumps({"level_change": 0}))
                )
            if len(batch_events) >= 50_000:
                _flush(cursor, batch_events, batch_attempts)
        _flush(cursor, batch_events, batch_attempts)
        cursor.execute("UPDATE periods SET attempts = attempts + ? WHERE id = ?", (counted, period_id))
        cursor.execute("COMMIT")
    finally:
        connection.close()


def _flush(cursor, events: list, attempts: list) -> None:
    cursor.executemany(
        "INSERT INTO events (seq, at, type, person_id, slot_id, coach_id, uid, details) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        events,
    )
    cursor.executemany(
        "INSERT INTO attempts (id, person_id, coach_id, at, period_id, via, slot_id, event_seq, voided) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        attempts,
    )
    events.clear()
    attempts.clear()


def drawing_all_day(config_text: str, size: tuple[int, int]) -> str:
    """The example wall's config without its nights (awake, drawing), on a `size` window."""
    import re

    text = re.sub(r"\[\[display\.night\]\]\n(.+\n)+?mode = .+\n", "", config_text)
    text = text.replace("size = [1920, 1080]", f"size = [{size[0]}, {size[1]}]")
    return text.replace("fullscreen = true", "fullscreen = false")


def memory_after_start(seconds: float = 10.0, size: tuple[int, int] = (1920, 1080)) -> dict:
    """RSS of the real `wallboard run` (the example wall, simulated readers, the screen on SDL's dummy
    driver, no night) `seconds` after it started, and at its peak."""
    import os
    import re
    import subprocess
    import sys

    wallboard = [sys.executable, "-c", "from board.cli import main; main()"]
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "wallboard.toml"
        subprocess.run([*wallboard, "--config", str(config), "init"], check=True, capture_output=True, env=env)
        config.write_text(drawing_all_day(config.read_text(encoding="utf-8"), size), encoding="utf-8")
        run = subprocess.Popen(
            [*wallboard, "--config", str(config), "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            time.sleep(seconds)
            status = Path(f"/proc/{run.pid}/status").read_text()
        finally:
            run.terminate()
            run.wait(timeout=30)
    kilobytes = {key: int(value.split()[0]) for key, value in re.findall(r"^(VmRSS|VmHWM):\s+(.+)$", status, re.M)}
    return {
        "screen": f"{size[0]}x{size[1]}",
        "seconds_after_start": seconds,
        "rss_mb": round(kilobytes["VmRSS"] / 1024, 1),
        "peak_rss_mb": round(kilobytes["VmHWM"] / 1024, 1),
    }


def run_all(
    log_size: int,
    event_count: int,
    display_idle: float = 60.0,
    reader_polls: int = 1000,
    mqtt_moves: int = 1000,
    harvest_log_size: int = 100_000,
) -> dict:
    from board.dev import mqtt_bench  # it imports this module: import it late
    from render import bench as display_bench

    sections: dict[str, Callable[[], dict]] = {
        "rules_and_store": lambda: rules_and_store(event_count),
        "thermometer": lambda: thermometer_query(log_size),
        "harvest": lambda: harvest_and_export(harvest_log_size),
        "display": lambda: display_bench.run(idle_seconds=display_idle),
        "memory": memory_after_start,
        "readers": lambda: bench_readers.run(polls=reader_polls),
        "polling": bench_readers.polling_projection,
        "mqtt": lambda: mqtt_bench.run(moves=mqtt_moves, requests=mqtt_moves),
    }
    results: dict = {"measured_at": datetime.now(BENCH_TZ).isoformat(timespec="seconds")}
    for name, section in sections.items():
        results[name] = section()
    return results

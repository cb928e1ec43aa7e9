"""`wallboard fleet bench`: many simulated walls, a private Mosquitto and PostgreSQL, one or two collectors.

The walls are MQTT publishers, not whole walls: each publishes what a wall of
`people` publishes (availability, its retained state, then its events as
`WallEvent.as_payload` gives them, seq by seq) and answers `events/get` from what
it has published, as a wall does. The collectors are `wallboard fleet collect`
processes. PostgreSQL syncs every commit to disk, as in production.

Two phases per run:
- **morning**: every wall at once starts its period, adds its people and hangs their
  cards (`1 + 2 × people` events per wall), published as fast as the publishers can:
  the collectors' throughput.
- **day**: each wall at `rate_per_hour` events (moves and confirmed attempts, at
  random moments), and every `burst_every` seconds a coach round on `burst_walls`
  random walls (`people` events each, at once), each event followed by the wall's
  retained `state` as a real wall publishes it: the lag.

Lag is from the moment a wall "commits" an event (its `at`, taken just before it is
published) to the moment the fleet database shows it folded into the wall's
state (`walls.last_seq` has reached it), which is what a dashboard shows; a poller
reads `walls` every `POLL` seconds, so each lag is late by up to that much.
"""

import json
import os
import platform
import random
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import select, text

from board.core.events import EventType, WallEvent
from board.dev.bench import percentile
from board.dev.broker import Mosquitto
from board.dev.postgres import PostgreSQL
from board.fleet import dashboard_bench
from board.fleet.db import open_fleet
from board.fleet.models import Wall
from board.mqtt.link import encode

POLL = 0.02  # seconds between the lag poller's reads of `walls`
PUBLISHERS = 8  # MQTT connections that carry the simulated walls (a wall stays on one: its events in order)
LEVELS = 3
# The company broker's settings docs/fleet.md recommends: a collector acknowledges a
# batch after it commits, so the broker must let a batch be in flight and queue bursts.
COMPANY_BROKER = "max_inflight_messages 1000\nmax_queued_messages 100000\n"


class SimulatedWall:
    """One wall's event log, made as the wall would record it, published in seq order."""

    def __init__(self, board_id: str, people: int, rng: random.Random):
        self.board_id = board_id
        self.base = f"wallboard/{board_id}"
        self.people = people
        self.rng = rng
        per_level = -(-(people + people // 5) // LEVELS)  # room for everyone, a fifth spare
        self.levels = [[f"{chr(65 + level)}{slot + 1}" for slot in range(per_level)] for level in range(LEVELS)]
        self.slot_of: dict[int, str] = {}
        self.log: list[dict[str, Any]] = []
        self.published_at: dict[int, float] = {}  # seq -> time.time() when the wall "committed" it
        self._attempts = 0
        self.lock = threading.Lock()

    def state(self) -> dict[str, Any]:
        """The retained `state`, with who hangs where, about the size of a real wall's (the collector reads its layout)."""
        where = {slot: person for person, slot in self.slot_of.items()}

        def slot_view(slot: str) -> dict[str, Any]:
            person = where.get(slot)
            shown = (
                None if person is None else {"id": person, "name": f"Person {person}", "photo": f"{person:08x}.jpeg"}
            )
            return {"id": slot, "status": "occupied" if shown else "empty", "person": shown, "unknown_uid": None}

        return {
            "board_id": self.board_id,
            "language": "nl",
            "levels": [
                {"id": chr(65 + index), "name": f"Level {index + 1}", "slots": [slot_view(slot) for slot in slots]}
                for index, slots in enumerate(self.levels)
            ],
        }

    def _record(self, kind: EventType, **fields: Any) -> dict[str, Any]:
        with self.lock:
            seq = len(self.log) + 1
            now = time.time()
            event = WallEvent(kind, seq=seq, at=datetime.fromtimestamp(now, UTC), **fields)
            payload = event.as_payload()
            self.log.append(payload)
            self.published_at[seq] = now
        return payload

    def morning(self) -> list[dict[str, Any]]:
        """The period starts, everyone is added and hangs their card at the bottom levels."""
        start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        events = [
            self._record(
                EventType.PERIOD_STARTED,
                details={
                    "period_id": 1,
                    "starts_at": start.isoformat(),
                    "ends_at": (start + timedelta(days=7)).isoformat(),
                    "goal": self.people * 2,
                },
            )
        ]
        slots = [slot for level in self.levels for slot in level]
        for person in range(1, self.people + 1):
            name = f"Person {person}"
            events.append(
                self._record(EventType.PERSON_ADDED, person_id=person, details={"person_name": name, "photo": None})
            )
            self.slot_of[person] = slots[person - 1]
            events.append(
                self._record(
                    EventType.CARD_PLACED,
                    person_id=person,
                    slot_id=slots[person - 1],
                    uid=f"04{self.board_id[-4:]}{person:08X}",
                    details={"person_name": name, "from_slot": None, "last_slot": None, "level_change": 0},
                )
            )
        return events

    def level(self, slot: str) -> int:
        return next(index for index, slots in enumerate(self.levels) if slot in slots)

    def something_happens(self) -> dict[str, Any]:
        """A card moved to a free slot (three in four) or a coach confirmed an attempt."""
        person = self.rng.randint(1, self.people)
        name = f"Person {person}"
        if self.rng.random() < 0.75:
            taken = set(self.slot_of.values())
            free = [slot for level in self.levels for slot in level if slot not in taken]
            to_slot, from_slot = self.rng.choice(free), self.slot_of[person]
            self.slot_of[person] = to_slot
            return self._record(
                EventType.CARD_MOVED,
                person_id=person,
                slot_id=to_slot,
                uid=f"04{self.board_id[-4:]}{person:08X}",
                details={
                    "person_name": name,
                    "from_slot": from_slot,
                    "last_slot": from_slot,
                    "level_change": self.level(to_slot) - self.level(from_slot),
                },
            )
        self._attempts += 1
        return self._record(
            EventType.ATTEMPT_CONFIRMED,
            person_id=person,
            coach_id=1,
            slot_id=self.slot_of[person],
            details={
                "person_name": name,
                "coach_name": "Coach",
                "via": "slot",
                "period_id": 1,
                "attempt_id": self._attempts,
            },
        )


class Publishers:
    """A few connections as the `wallboard` user, publishing for many walls, answering their events/get."""

    def __init__(self, broker: Mosquitto, walls: dict[str, SimulatedWall]):
        self.walls = walls
        self.requests = 0
        self.clients = []
        for number in range(PUBLISHERS):
            client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-walls-{number}", protocol=mqtt.MQTTv5)
            client.username_pw_set("wallboard", broker.users["wallboard"])
            client.max_queued_messages_set(0)
            client.max_inflight_messages_set(1000)
            if number == 0:
                client.on_connect = lambda c, u, f, r, p: c.subscribe("wallboard/+/request/events/get", qos=1)
                client.on_message = self._answer
            client.connect(broker.host, broker.port)
            client.loop_start()
            self.clients.append(client)
        self._route = {board_id: self.clients[index % PUBLISHERS] for index, board_id in enumerate(walls)}

    def publish(self, board_id: str, topic: str, payload: Any, retain: bool = False) -> None:
        self._route[board_id].publish(f"wallboard/{board_id}/{topic}", encode(payload), qos=1, retain=retain)

    def event(self, wall: SimulatedWall, payload: dict[str, Any]) -> None:
        self.publish(wall.board_id, f"event/{payload['type']}", payload)

    def _answer(self, client, userdata, message) -> None:
        """events/get as the wall answers it: its events after `since`, a page at a time, on the response topic."""
        board_id = message.topic.split("/")[1]
        wall = self.walls.get(board_id)
        request = json.loads(message.payload or b"{}")
        since, limit = int(request.get("since", 0)), int(request.get("limit", 100))
        with wall.lock:
            page = wall.log[since : since + limit]
            more = since + limit < len(wall.log)
        self.requests += 1
        body = {
            "transaction": request.get("transaction"),
            "status": "ok",
            "data": {"events": page, "next": page[-1]["seq"] if page else since, "more": more},
        }
        properties = Properties(PacketTypes.PUBLISH)
        properties.CorrelationData = message.properties.CorrelationData
        client.publish(message.properties.ResponseTopic, encode(body), qos=1, properties=properties)

    def close(self) -> None:
        for client in self.clients:
            client.disconnect()
            client.loop_stop()


class LagPoller(threading.Thread):
    """Reads `walls.last_seq` every POLL seconds; an event is visible once its wall's last_seq has reached it."""

    def __init__(self, url: str, walls: dict[str, SimulatedWall]):
        super().__init__(name="fleet-bench-poller", daemon=True)
        self.engine = open_fleet(url)
        self.walls = walls
        self.seen: dict[str, int] = defaultdict(int)
        self.visible_at: dict[tuple[str, int], float] = {}
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            with self.engine.connect() as connection:
                rows = connection.execute(select(Wall.board_id, Wall.last_seq)).all()
            now = time.time()
            for board_id, last_seq in rows:
                for seq in range(self.seen[board_id] + 1, last_seq + 1):
                    self.visible_at[(board_id, seq)] = now
                self.seen[board_id] = max(self.seen[board_id], last_seq)
            time.sleep(POLL)

    def all_visible(self) -> bool:
        return all(self.seen[board_id] >= len(wall.log) for board_id, wall in self.walls.items())

    def lags(self, keys: list[tuple[str, int]]) -> list[float]:
        return [(self.visible_at[key] - self.walls[key[0]].published_at[key[1]]) * 1000 for key in keys]

    def close(self) -> None:
        self.stopping.set()
        self.join()
        self.engine.dispose()


def _collector(broker: Mosquitto, url: str, password_file: Path, name: str) -> subprocess.Popen:
    command = [
        sys.executable, "-c", "from board.cli import main; main()", "fleet", "collect", "--db", url,
        "--broker", f"{broker.host}:{broker.port}", "--username", "admin", "--password-file", str(password_file),
        "--group", "bench", "--client-id", name,
    ]  # fmt: skip
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait(condition, timeout: float, what: str) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"fleet bench: {what} took longer than {timeout} s")
        time.sleep(0.01)
    return time.monotonic() - started


def _database_size(engine) -> dict[str, Any]:
    """What the events cost on disk (table, indexes, TOAST), for sizing PostgreSQL."""
    with engine.connect() as connection:
        events = connection.execute(text("SELECT count(*) FROM events")).scalar_one()
        size = connection.execute(text("SELECT pg_total_relation_size('events')")).scalar_one()
        whole = connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
    return {"events": events, "events_bytes_per_event": round(size / events), "database_mb": round(whole / 2**20, 1)}


def _summary(lags: list[float]) -> dict[str, float]:
    return {
        "lag_ms_p50": round(percentile(lags, 0.5), 1),
        "lag_ms_p99": round(percentile(lags, 0.99), 1),
        "lag_ms_max": round(max(lags), 1),
    }


def run_once(
    collectors: int,
    walls: int,
    people: int,
    day_seconds: float,
    rate_per_hour: float,
    burst_every: float,
    burst_walls: int,
) -> dict[str, Any]:
    """One fleet (its own broker and database) through the morning and the day with `collectors` collectors."""
    rng = random.Random(14)
    fleet = {f"bench-{number:04d}": SimulatedWall(f"bench-{number:04d}", people, rng) for number in range(walls)}
    with (
        Mosquitto(settings=COMPANY_BROKER) as broker,
        PostgreSQL(durable=True) as postgres,
        TemporaryDirectory() as tmp,
    ):
        url = postgres.url("fleet")
        open_fleet(url).dispose()  # migrated once, before the collectors start
        password_file = Path(tmp) / "password"
        password_file.write_text(broker.users["admin"])
        processes = [_collector(broker, url, password_file, f"bench-collector-{n}") for n in range(collectors)]
        publishers = poller = None
        try:
            for n in range(collectors):
                name = f"bench-collector-{n}"
                _wait(lambda name=name: "$share/bench/wallboard/+/event/#" in broker.subscriptions(name), 30, "start")
            publishers = Publishers(broker, fleet)
            poller = LagPoller(url, fleet)
            poller.start()
            for wall in fleet.values():
                publishers.publish(wall.board_id, "availability", {"state": "online"}, retain=True)
                publishers.publish(wall.board_id, "state", wall.state(), retain=True)

            started = time.time()
            for wall in fleet.values():
                for payload in wall.morning():
                    publishers.event(wall, payload)
            published = time.time() - started
            morning_events = sum(len(wall.log) for wall in fleet.values())
            elapsed = _wait(poller.all_visible, 600, "the morning") + published
            morning_keys = [(board_id, seq) for board_id, wall in fleet.items() for seq in range(1, len(wall.log) + 1)]
            morning = {
                "events": morning_events,
                "published_in_s": round(published, 2),
                "all_visible_in_s": round(elapsed, 2),
                "events_per_second": round(morning_events / elapsed, 1),
                **_summary(poller.lags(morning_keys)),
            }

            day_keys = _day(publishers, fleet, rng, day_seconds, rate_per_hour, burst_every, burst_walls)
            _wait(poller.all_visible, 120, "the day")
            day = {
                "seconds": day_seconds,
                "events": len(day_keys),
                "events_per_second": round(len(day_keys) / day_seconds, 1),
                **_summary(poller.lags(day_keys)),
            }
            return {
                "collectors": collectors,
                "morning": morning,
                "day": day,
                "events_get_answered": publishers.requests,
                "database": _database_size(poller.engine),
            }
        finally:
            if poller is not None:
                poller.close()
            if publishers is not None:
                publishers.close()
            for process in processes:
                process.terminate()
                process.wait(timeout=30)


def _day(
    publishers: Publishers,
    fleet: dict[str, SimulatedWall],
    rng: random.Random,
    seconds: float,
    rate_per_hour: float,
    burst_every: float,
    burst_walls: int,
) -> list[tuple[str, int]]:
    """Events at random moments at the fleet's rate, and a coach round on a few walls every `burst_every` s."""
    keys = []
    walls = list(fleet.values())
    rate = rate_per_hour * len(walls) / 3600  # events per second, the whole fleet
    started = time.monotonic()
    next_event = started + rng.expovariate(rate)
    next_burst = started + burst_every
    while (now := time.monotonic()) < started + seconds:
        if now >= next_burst:
            next_burst += burst_every
            for wall in rng.sample(walls, burst_walls):
                for _ in range(wall.people):
                    payload = wall.something_happens()
                    publishers.event(wall, payload)
                    publishers.publish(wall.board_id, "state", wall.state(), retain=True)  # as a wall does
                    keys.append((wall.board_id, payload["seq"]))
        if now >= next_event:
            next_event += rng.expovariate(rate)
            wall = rng.choice(walls)
            payload = wall.something_happens()
            publishers.event(wall, payload)
            publishers.publish(wall.board_id, "state", wall.state(), retain=True)
            keys.append((wall.board_id, payload["seq"]))
        time.sleep(max(0.0, min(next_event, next_burst) - time.monotonic()))
    return keys


def machine() -> dict[str, Any]:
    """Where the figures were taken: they mean little without it."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "load_average_at_start": [round(load, 2) for load in os.getloadavg()],
        "python": platform.python_version(),
    }


def run(
    walls: int = 200,
    people: int = 30,
    day_seconds: float = 60.0,
    rate_per_hour: float = 300.0,
    burst_every: float = 10.0,
    burst_walls: int = 5,
    collectors: tuple[int, ...] = (1, 2),
    dashboard_events: int = 1_000_000,
) -> dict[str, Any]:
    results: dict[str, Any] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "walls": walls,
        "people_per_wall": people,
        "day": {"rate_per_wall_per_hour": rate_per_hour, "burst_every_s": burst_every, "burst_walls": burst_walls},
    }
    for count in collectors:
        results[f"collectors_{count}"] = run_once(
            count, walls, people, day_seconds, rate_per_hour, burst_every, burst_walls
        )
    if dashboard_events:  # the dashboard's page times over a full database (board/fleet/dashboard_bench.py)
        with PostgreSQL(durable=True) as postgres:
            results["dashboard"] = dashboard_bench.measure(postgres.url("dashboard"), walls, people, dashboard_events)
    return results

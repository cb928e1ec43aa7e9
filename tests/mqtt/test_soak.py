"""Soak: ten simulated minutes of a busy wall through a real Mosquitto, with a broker
restart and a kill -9 of the wall on the way.

The wall runs as `wallboard run --headless` on simulated readers, which the test
drives over `sim/reader` as hands on the wall would. Simulated time runs SPEED times
faster than real time: the rule windows in the wall's config are shortened by the
same factor, so every move and tap keeps the proportions of a real wall. Admin
requests come at 20 per real second throughout.

At the end: every card move that settled is in the log exactly once, where the log
says each card is equals what the live wall says, the wall's memory grew by less
than 20 MB in each life, and no request waited longer than 2 s for its answer.
"""

import itertools
import json
import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from board.app.config import load_config
from board.core.clock import SystemClock
from board.core.events import EventType
from board.wall.service import WallService
from store.repository import Store
from tests.app.test_cli import WALLBOARD
from tests.mqtt.clients import TestClient
from tests.mqtt.wall import MQTT_SECTION

pytestmark = pytest.mark.soak

SIMULATED_SECONDS = 600
SPEED = float(os.environ.get("WALLBOARD_SOAK_SPEED", "4"))  # simulated seconds per real second
REQUESTS_PER_SECOND = 20
MAX_REQUEST_WAIT = 2.0
MAX_RSS_GROWTH_KB = 20 * 1024
SLOTS = [f"{level}{number}" for level in "ABC" for number in range(1, 7)]
CARDS = {f"Person {number}": f"04500000000{number:03d}" for number in range(1, 11)}
COACHES = {"Mo": "C0AC5001", "Kees": "C0AC5002"}
REQUESTS = [("health", {}), ("state/get", {}), ("people/list", {"limit": 5}), ("events/get", {"limit": 20})]

WALL = (
    """
board_id = "soak"
timezone = "Europe/Amsterdam"
data_dir = "data"
{levels}
[readers]
kind = "sim"
poll_interval = 0.005
gone_after_seconds = 0.015

[rules]
move_window = {move}
confirm_window = {confirm}
duplicate_window = {duplicate}
"""
    + MQTT_SECTION
)


def write_config(directory: Path, broker) -> Path:
    password_file = directory / "mqtt-password"
    password_file.write_text(broker.users["wallboard"])
    levels = "".join(
        f'\n[[levels]]\nid = "{level}"\nname = "Level {level}"\n'
        f"slots = {[slot for slot in SLOTS if slot[0] == level]}\n".replace("'", '"')
        for level in "ABC"
    )
    path = directory / "wallboard.toml"
    # The move window never drops below 5 s: a restarted wall needs a moment to hear the readers again.
    path.write_text(
        WALL.format(
            levels=levels,
            move=max(5.0, 15 / SPEED),
            confirm=20 / SPEED,
            duplicate=60 / SPEED,
            host=broker.host,
            port=broker.port,
            password_file=password_file,
        )
    )
    config = load_config(path)
    with Store(config) as store:
        service = WallService(config, store, {}, SystemClock(config.tz))
        ids = {name: service.add_person(name, card=card) for name, card in CARDS.items()}
        for name, badge in COACHES.items():
            service.add_coach(name, badge)
    return path, ids


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Asker:
    """Admin requests at a steady rate, each timed from publish to answer."""

    def __init__(self, broker, base: str):
        self.broker, self.base = broker, base
        self.waits: list[float] = []
        self.unanswered: dict[str, float] = {}
        self.refused: list[dict] = []
        self._transactions = itertools.count()
        self._lock = threading.Lock()
        self._running = threading.Event()
        self._stop = threading.Event()
        self._client: TestClient | None = None
        self._threads = [
            threading.Thread(target=self._ask, daemon=True),
            threading.Thread(target=self._collect, daemon=True),
        ]

    def start(self) -> None:
        self.resume()
        for thread in self._threads:
            thread.start()

    def resume(self) -> None:
        """(Re)connect and send again, after a broker restart too."""
        if self._client is not None:
            self._client.close()
        self._client = TestClient(self.broker, "admin").connect(timeout=10).subscribe(f"{self.base}/response/#")
        self._running.set()

    def pause(self, timeout: float = 10.0) -> None:
        """Stop sending and wait until every request sent has its answer."""
        self._running.clear()
        time.sleep(0.1)  # a request being sent right now
        deadline = time.monotonic() + timeout
        while self.unanswered and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not self.unanswered, f"{len(self.unanswered)} requests unanswered"

    def stop(self) -> None:
        self.pause()
        self._stop.set()
        self._client.close()

    def _ask(self) -> None:
        started = time.monotonic()
        for count in itertools.count():
            if self._stop.is_set():
                return
            if not self._running.wait(0.1):
                started = time.monotonic() - count / REQUESTS_PER_SECOND  # no catching up after a pause
                continue
            time.sleep(max(0.0, started + count / REQUESTS_PER_SECOND - time.monotonic()))
            command, payload = REQUESTS[count % len(REQUESTS)]
            transaction = f"s{next(self._transactions)}"
            with self._lock:
                self.unanswered[transaction] = time.monotonic()
            self._client.client.publish(
                f"{self.base}/request/{command}", json.dumps({"transaction": transaction} | payload), qos=1
            )

    def _collect(self) -> None:
        while not self._stop.is_set():
            client = self._client
            try:
                message = client.next(timeout=0.2)
            except Exception:
                continue
            answer = message.json()
            with self._lock:
                sent = self.unanswered.pop(answer.get("transaction"), None)
            if sent is None:
                continue  # a QoS 1 repeat
            self.waits.append(time.monotonic() - sent)
            if answer["status"] != "ok":
                self.refused.append(answer)


class Hands:
    """What is physically on the wall, and every settled change the log must show once."""

    def __init__(self, broker, base: str, seed: int = 11):
        self.broker, self.base = broker, base
        self.rng = random.Random(seed)
        self.where: dict[str, str | None] = {card: None for card in CARDS.values()}
        self.expected: dict[str, list[str]] = {card: [] for card in CARDS.values()}
        self.taps = 0
        self.client = TestClient(broker, "admin").connect()

    def reconnect(self) -> None:
        self.client.close()
        self.client = TestClient(self.broker, "admin").connect(timeout=10)

    def show(self, slot: str, *tags: str) -> None:
        self.client.publish(f"{self.base}/sim/reader", {"reader": slot, "tags": list(tags)})

    def tell_everything(self) -> None:
        """A restarted wall has fresh simulated readers: show them what hangs where."""
        for slot in SLOTS:
            self.show(slot, *[card for card, at in self.where.items() if at == slot])

    def hang(self, card: str, slot: str) -> None:
        source = self.where[card]
        if source is not None:
            self.show(source)
            time.sleep(0.05)  # carried across the wall, well inside the move window
        self.show(slot, card)
        self.where[card] = slot
        self.expected[card].append(slot)

    def act(self) -> None:
        """One thing a person on the floor does: move a polaroid, or a coach taps one."""
        empty = [slot for slot in SLOTS if slot not in self.where.values()]
        if self.rng.random() < 0.6 or not any(self.where.values()):
            card = self.rng.choice(list(self.where))
            self.hang(card, self.rng.choice(empty))
        else:
            card, slot = self.rng.choice([(card, slot) for card, slot in self.where.items() if slot])
            self.show(slot, card, self.rng.choice(list(COACHES.values())))
            # Held as a coach holds a badge until the wall answers: longer than a quiet wall's
            # idle pause (0.25 s; after the broker's restart nothing has moved for seconds).
            time.sleep(0.5)
            self.show(slot, card)
            self.taps += 1


def wait_for_availability(watcher: TestClient, base: str, state: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = watcher.next(timeout=max(0.1, deadline - time.monotonic()))
        if message.topic == f"{base}/availability" and message.json() == {"state": state}:
            return
    raise TimeoutError(f"the wall did not say {state}")


def test_ten_busy_minutes_with_a_broker_restart_and_a_kill_lose_nothing_and_count_nothing_twice(broker, tmp_path):
    config_path, ids = write_config(tmp_path, broker)
    config = load_config(config_path)
    base = f"wallboard/{config.board_id}"
    log = open(tmp_path / "wall.log", "w")

    def start_wall() -> subprocess.Popen:
        watcher = TestClient(broker, "admin").connect().subscribe(f"{base}/availability")
        try:
            if killed:  # the broker has said so (the wall's last will) before the new wall starts
                wait_for_availability(watcher, base, "offline")
            wall = subprocess.Popen(
                [WALLBOARD, "--config", str(config_path), "run", "--headless"],
                cwd=tmp_path,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
            wait_for_availability(watcher, base, "online")
        finally:
            watcher.close()
        return wall

    killed = False
    wall = start_wall()
    hands, asker = Hands(broker, base), Asker(broker, base)
    rss: list[tuple[int, int]] = []  # (start, end) of each life of the wall
    try:
        for card, slot in zip(CARDS.values(), SLOTS[::2]):  # the morning: everyone hangs their polaroid
            hands.hang(card, slot)
        asker.start()
        time.sleep(3)  # warmed up
        life_started = rss_kb(wall.pid)
        real_start, paused = time.monotonic(), 0.0
        broker_restarted = False
        while (simulated := (time.monotonic() - real_start - paused) * SPEED) < SIMULATED_SECONDS:
            hands.act()
            time.sleep(max(0.3, 1.5 / SPEED))  # the change settles before the next one
            if not broker_restarted and simulated > SIMULATED_SECONDS / 3:
                broker_restarted, pause_started = True, time.monotonic()
                asker.pause()
                broker.stop()
                time.sleep(1)
                broker.start()
                hands.reconnect()
                asker.resume()
                paused += time.monotonic() - pause_started
            if not killed and simulated > SIMULATED_SECONDS * 2 / 3:
                pause_started = time.monotonic()
                asker.pause()
                rss.append((life_started, rss_kb(wall.pid)))
                wall.send_signal(signal.SIGKILL)
                wall.wait(10)
                killed = True
                wall = start_wall()
                hands.tell_everything()
                asker.resume()
                time.sleep(3)  # warmed up
                life_started = rss_kb(wall.pid)
                paused += time.monotonic() - pause_started
        asker.stop()
        time.sleep(1)
        rss.append((life_started, rss_kb(wall.pid)))
        live = TestClient(broker, "admin").connect().subscribe(f"{base}/state")
        state = live.wait_for(f"{base}/state", timeout=10).json()
        live.close()
    finally:
        wall.send_signal(signal.SIGTERM)
        wall.wait(20)
        hands.client.close()
        log.close()

    assert wall.returncode == 0, (tmp_path / "wall.log").read_text()[-3000:]
    names = {card: name for name, card in CARDS.items()}
    live_slots = {
        slot["person"]["name"]: slot["id"] for level in state["levels"] for slot in level["slots"] if slot["person"]
    }
    assert live_slots == {names[card]: slot for card, slot in hands.where.items() if slot}

    with Store(config) as store:
        events = list(store.events_after(0))
        rebuilt, _seq = store.replay()
    person_of = {person_id: name for name, person_id in ids.items()}
    assert {person_of[person]: slot for person, (slot, _since) in rebuilt.positions.items()} == live_slots
    moves = [event for event in events if event.type in (EventType.CARD_PLACED, EventType.CARD_MOVED)]
    assert [event.type for event in events if event.type is EventType.CARD_OFF_WALL] == []
    for card, slots in hands.expected.items():
        person = ids[names[card]]
        assert [event.slot_id for event in moves if event.person_id == person] == slots, names[card]
    attempts = [event for event in events if event.type in (EventType.ATTEMPT_CONFIRMED, EventType.ATTEMPT_REJECTED)]
    assert len(attempts) == hands.taps

    assert asker.waits and max(asker.waits) <= MAX_REQUEST_WAIT, f"slowest answer {max(asker.waits):.2f} s"
    assert asker.refused == []
    for started, ended in rss:
        assert ended - started <= MAX_RSS_GROWTH_KB, f"RSS grew from {started} to {ended} kB"
    print(
        f"\nsoak: {len(moves)} moves, {hands.taps} taps, {len(asker.waits)} requests, "
        f"slowest answer {max(asker.waits) * 1000:.0f} ms, RSS (kB) {rss}"
    )

"""`wallboard bench` → "mqtt": a backlog drained, requests answered per second, card placed → event received.

Runs a whole wall (real threads, simulated readers, SQLite with synchronous=FULL, the
default scanner settings, the screen drawing at 1920×1080 on SDL's dummy driver)
against a private Mosquitto on a free loopback port; never a broker that happens to
run on the machine.
"""

import json
import os
import queue
import random
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from board.app.config import load_config
from board.app.runtime import MqttInterface, simulated_readers
from board.core.clock import SystemClock
from board.core.settings import Scanning
from board.core.snapshot import Snapshot
from board.dev.bench import percentile, wall_config_text
from board.dev.broker import MOSQUITTO, Mosquitto
from board.mqtt.api import MAX_WAITING_REQUESTS
from board.wall.service import WallService
from render.config import DisplayConfig
from render.display import WallDisplay
from sensors.events import TagGone, TagSeen
from sensors.scanner import Scanner
from store.repository import Store, Writer
from store.sqlite import Connections

SCANNING = Scanning()  # the bench runs the defaults
BENCH_PERSON = "Bench"  # whose card moves


def _subscriber(broker: Mosquitto, topic: str) -> tuple[mqtt.Client, "queue.Queue[tuple[float, str, bytes]]"]:
    arrived: queue.Queue = queue.Queue()
    subscribed = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-admin", protocol=mqtt.MQTTv5)
    client.username_pw_set("admin", broker.users["admin"])
    client.on_socket_open = lambda c, u, sock: sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.on_connect = lambda c, u, flags, reason, properties: c.subscribe(topic, qos=1)
    client.on_subscribe = lambda c, u, mid, reasons, properties: subscribed.set()
    client.on_message = lambda c, u, message: arrived.put((time.perf_counter(), message.topic, message.payload))
    client.connect(broker.host, broker.port)
    client.loop_start()
    if not subscribed.wait(10):
        raise TimeoutError("the bench subscriber could not subscribe")
    return client, arrived


class TimedStore(Store):
    """The store, noting when each write transaction committed (wall clock and perf_counter).

    Every write runs on the service thread, one after another, so the first commit
    after an event's recorded time is that event's. A listener cannot tell: the
    publisher thread may hand an event over before the service thread tells listeners.
    """

    def __init__(self, config):
        super().__init__(config)
        self.commits: list[tuple[float, float]] = []

    @contextmanager
    def write(self) -> Iterator[Writer]:
        with super().write() as writer:
            yield writer
        self.commits.append((time.time(), time.perf_counter()))

    def committed_after(self, wall_time: float) -> float:
        """perf_counter of the first commit at or after `wall_time` (waiting a moment for the
        service thread to note it, should the publisher thread have been quicker)."""
        deadline = time.monotonic() + 1
        while True:
            found = next((counter for wall, counter in self.commits if wall >= wall_time), None)
            if found is not None:
                return found
            if time.monotonic() > deadline:
                raise TimeoutError("no commit noted after the event was recorded")
            time.sleep(0.001)


class TimedDisplay(WallDisplay):
    """The display, noting when each frame reached the screen and the snapshot it showed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.frames: list[tuple[float, Snapshot]] = []  # cleared by each move

    def show(self, frame, areas=None) -> None:
        super().show(frame, areas)
        self.frames.append((time.perf_counter(), self.snapshot))

    def shown(self, slot: str, person: str) -> float:
        """perf_counter of the first frame since `frames` was cleared with `person` in `slot` (waiting up to 2 s)."""
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            for at, snapshot in list(self.frames):
                shows = snapshot.slot(slot).person
                if shows is not None and shows.name == person:
                    return at
            time.sleep(0.001)
        raise TimeoutError(f"no frame showed {person} in {slot}")


class Move:
    """One card placed, its event received and the card on the screen, with the moments in between."""

    def __init__(
        self, placed: float, placed_wall: float, received: float, on_screen: float, payload: dict, store: "TimedStore"
    ):
        self.to_screen = (on_screen - placed) * 1000
        recorded_wall = datetime.fromisoformat(payload["at"]).timestamp()  # taken just before the transaction
        self.total = (received - placed) * 1000
        self.placed_to_recorded = (recorded_wall - placed_wall) * 1000
        self.committed_to_received = (received - store.committed_after(recorded_wall)) * 1000
        self.recorded_to_committed = self.total - self.placed_to_recorded - self.committed_to_received


STAGES = {
    "placed_to_recorded": "the scanner's pause and debounce, the service's queue, the rules",
    "recorded_to_committed": "the write transaction and its fsync",
    "committed_to_received": "the state folded, the hand-over to paho, its network thread, the broker, the subscriber",
}


def _spread(values: list[float]) -> dict:
    return {f"p{round(share * 100)}": round(percentile(values, share), 2) for share in (0.5, 0.95, 0.99)}


def _latencies(moves: list[Move]) -> dict:
    """The totals' p50/p95/p99 and each stage's, so a reader sees where a slow move spent its time."""
    totals = [move.total for move in moves]
    return {
        "moves": len(moves),
        "latency_ms_p50": round(percentile(totals, 0.5), 2),
        "latency_ms_p95": round(percentile(totals, 0.95), 2),
        "latency_ms_p99": round(percentile(totals, 0.99), 2),
        "latency_ms_max": round(max(totals), 2),
        "stages_ms": {
            stage: _spread([getattr(move, stage) for move in moves]) | {"what": what} for stage, what in STAGES.items()
        },
        "card_to_screen_ms": _spread([move.to_screen for move in moves])
        | {"what": "placed until the first frame showing the card in its new slot was presented"},
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def run(moves: int = 1000, requests: int = 1000) -> dict:
    if not MOSQUITTO.exists():
        return {"skipped": f"{MOSQUITTO} is not installed"}
    with Mosquitto() as broker, tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / "password").write_text(broker.users["wallboard"])
        (directory / "wallboard.toml").write_text(
            wall_config_text(3, 8)
            + f'\n[mqtt]\nenabled = true\nhost = "{broker.host}"\nport = {broker.port}\nusername = "wallboard"\n'
            + f'password_file = "{directory / "password"}"\n'
        )
        config = load_config(directory / "wallboard.toml")
        readers = simulated_readers(config)
        store = TimedStore(config).open()
        clock = SystemClock(config.tz)
        service = WallService(config, store, readers, clock)
        interface = MqttInterface(config, service, readers)
        display = TimedDisplay(
            DisplayConfig(size=(1920, 1080), fullscreen=False, video_driver="dummy", night=()), clock=clock.now
        ).open()
        service.subscribe(display)
        drawing = threading.Thread(target=display.run, name="display", daemon=True)
        service.start()
        drawing.start()
        base = interface.link.base
        client, arrived = _subscriber(broker, f"{base}/#")
        try:
            card, backlog_card = "04BE0000000001", "04BE0000000002"
            service.call(lambda: service.add_person(BENCH_PERSON, card=card))
            service.call(lambda: service.add_person("Backlog", card=backlog_card))
            service.call(lambda: _record_moves(service, config.slot_ids, backlog_card, moves), timeout=600)
            moving = MovingCard(readers, config.slot_ids, card, arrived, store, display)
            backlog = _drain_backlog(interface, store, arrived)
            if backlog is None:
                return {"skipped": "the wall did not connect to the private broker"}
            return {
                "backlog": {"moves": moves} | backlog,
                "requests": _requests(client, arrived, base, requests),
                "card_to_subscriber": moving.back_to_back(moves),
                "card_to_subscriber_on_a_quiet_wall": moving.on_a_quiet_wall(service.scanner, max(1, moves // 100)),
                "display_frames_drawn": display.frames_presented,
            }
        finally:
            client.disconnect()
            client.loop_stop()
            interface.stop()
            service.stop()
            display.stop()
            drawing.join(5)
            display.close()
            store.close()


def _record_moves(service: WallService, slots: list[str], card: str, count: int) -> None:
    """Move `card` `count` times before the wall is connected: the backlog of an outage."""
    service.handle(TagSeen(slots[0], card))
    for number in range(count):
        service.handle(TagGone(slots[number % len(slots)], card))
        service.handle(TagSeen(slots[(number + 1) % len(slots)], card))


def _drain_backlog(interface: MqttInterface, store: Store, arrived: queue.Queue) -> dict | None:
    """Connect with the outbox full: how long until a subscriber has every event and the outbox
    is empty, and how many database commits that took. None if the wall cannot connect."""
    pending = store.outbox_size()
    commits = 0

    def count_commit(statement: str) -> None:
        nonlocal commits
        commits += statement == "COMMIT"

    Connections.trace = count_commit
    try:
        started = time.perf_counter()
        interface.start()
        if not interface.link.wait_ready(10):
            return None
        received = 0
        while received < pending:
            _at, topic, _payload = arrived.get(timeout=30)
            received += "/event/" in topic
        all_received = time.perf_counter() - started
        deadline = time.monotonic() + 30
        while store.outbox_size() and time.monotonic() < deadline:
            time.sleep(0.005)
        outbox_empty = time.perf_counter() - started
    finally:
        Connections.trace = None
    return {
        "pending_events": pending,
        "all_received_s": round(all_received, 3),
        "outbox_empty_s": round(outbox_empty, 3),
        "events_per_second": round(pending / all_received, 1),
        "database_commits": commits,
    }


def _drain(arrived: queue.Queue) -> None:
    while not arrived.empty():
        arrived.get_nowait()


def _requests(client: mqtt.Client, arrived: queue.Queue, base: str, count: int) -> dict:
    """`count` health requests from an admin tool that keeps at most `window` unanswered, as
    the API's limit on waiting requests asks (back to back, half would be answered `busy`);
    the rate at which they are answered."""
    _drain(arrived)
    window = MAX_WAITING_REQUESTS // 2
    sent = ok = busy = 0
    started = time.perf_counter()
    deadline = time.monotonic() + 60
    while ok + busy < count and time.monotonic() < deadline:
        while sent < count and sent - (ok + busy) < window:
            client.publish(f"{base}/request/health", json.dumps({"transaction": sent}), qos=1)
            sent += 1
        try:
            _at, topic, payload = arrived.get(timeout=1)
        except queue.Empty:
            continue
        if topic == f"{base}/response/health":
            ok += b'"status":"ok"' in payload
            busy += b'"busy"' in payload
    elapsed = time.perf_counter() - started
    return {
        "requests": count,
        "unanswered_at_most": window,
        "answered_ok": ok,
        "answered_busy": busy,
        "requests_per_second": round(ok / elapsed, 1),
    }


@dataclass
class MovingCard:
    """One person's card moved slot to slot on the running wall, watched at a subscriber and on the screen."""

    readers: dict
    slots: list[str]
    card: str
    arrived: queue.Queue
    store: TimedStore
    display: TimedDisplay

    def back_to_back(self, count: int) -> dict:
        """Move it `count` times back to back (the scanner sweeps fast, as while people move
        cards); time from placing it to the subscriber's event."""
        _drain(self.arrived)
        measured = [self.move(number) for number in range(count)]
        return _latencies(measured) | {
            "settings": "the defaults: " + _scanning_text(),
            "includes": "the scanner's pause and debounce, the rules, an fsync'd commit, the screen drawing each change",
        }

    def on_a_quiet_wall(self, scanner: Scanner, count: int) -> dict:
        """Each move made once the scanner has slowed down (nothing moved for `stay_fast_for`),
        at a random moment of its idle pause: what the first card of a quiet morning waits."""
        measured = []
        for number in range(count):
            deadline = time.monotonic() + SCANNING.stay_fast_for + 5
            while scanner.busy() and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(random.uniform(0, SCANNING.idle_poll_interval))
            _drain(self.arrived)
            measured.append(self.move(number))
        return _latencies(measured) | {"settings": "the defaults: " + _scanning_text()}

    def move(self, number: int) -> Move:
        """Take the card from the slot it is in (if any) to the next, until the subscriber has the
        event and the screen shows it."""
        there = self.slots[number % len(self.slots)]
        for reader_id in self.slots:
            if reader_id != there and self.readers[reader_id].tags:
                self.readers[reader_id].set_tags([])
        self.display.frames.clear()
        placed, placed_wall = time.perf_counter(), time.time()
        self.readers[there].set_tags([self.card])
        while True:
            at, _topic, payload = self.arrived.get(timeout=10)
            event = json.loads(payload)
            if event.get("slot") == there and event.get("type") in ("card_placed", "card_moved"):
                return Move(placed, placed_wall, at, self.display.shown(there, BENCH_PERSON), event, self.store)


def _scanning_text() -> str:
    return (
        f"sweeps every {SCANNING.poll_interval * 1000:g} ms while anything moved in the last "
        f"{SCANNING.stay_fast_for:g} s, else every {SCANNING.idle_poll_interval * 1000:g} ms; "
        f"present after {SCANNING.present_after_seconds * 1000:g} ms"
    )

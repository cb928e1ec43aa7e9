"""`wallboard bench` → "mqtt": a backlog drained, requests answered per second, card placed → event received.

Runs a whole wall (real threads, simulated readers, SQLite with synchronous=FULL, the
default scanner settings, the screen drawing at 1920×1080 on SDL's dummy driver)
against a private Mosquitto on a free loopback port; never a broker that happens to
run on the machine.
"""

import json
import queue
import random
import socket
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from board.app.config import load_config
from board.app.runtime import MqttInterface, simulated_readers
from board.core.clock import SystemClock
from board.core.settings import Scanning
from board.dev.bench import percentile, wall_config_text
from board.dev.broker import MOSQUITTO, Mosquitto
from board.wall.service import WallService
from render.config import DisplayConfig
from render.display import WallDisplay
from sensors.events import TagGone, TagSeen
from store.repository import Store
from store.sqlite import Connections

SCANNING = Scanning()  # the bench runs the defaults


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
        store = Store(config).open()
        clock = SystemClock(config.tz)
        service = WallService(config, store, readers, clock)
        interface = MqttInterface(config, service, store, readers)
        display = WallDisplay(
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
            service.call(lambda: service.add_person("Bench", card=card))
            service.call(lambda: service.add_person("Backlog", card=backlog_card))
            service.call(lambda: _record_moves(service, config.slot_ids, backlog_card, moves), timeout=600)
            backlog = _drain_backlog(interface, store, arrived)
            if backlog is None:
                return {"skipped": "the wall did not connect to the private broker"}
            return {
                "backlog": {"moves": moves} | backlog,
                "requests": _requests(client, arrived, base, requests),
                "card_to_subscriber": _moves(readers, config.slot_ids, card, arrived, base, moves),
                "card_to_subscriber_on_a_quiet_wall": _quiet_moves(
                    service, readers, config.slot_ids, card, arrived, max(1, moves // 100)
                ),
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
    """`count` health requests sent back to back; the rate at which answers come back."""
    _drain(arrived)
    started = time.perf_counter()
    for number in range(count):
        client.publish(f"{base}/request/health", json.dumps({"transaction": number}), qos=1)
    answered = 0
    deadline = time.monotonic() + 60
    while answered < count and time.monotonic() < deadline:
        try:
            _at, _topic, payload = arrived.get(timeout=1)
        except queue.Empty:
            continue
        answered += b'"status":"ok"' in payload
    elapsed = time.perf_counter() - started
    return {"requests": count, "answered": answered, "requests_per_second": round(answered / elapsed, 1)}


def _moves(readers: dict, slots: list[str], card: str, arrived: queue.Queue, base: str, count: int) -> dict:
    """Move one card slot to slot `count` times back to back (the scanner sweeps fast, as while
    people move cards); time from placing it to the subscriber's event."""
    _drain(arrived)
    latencies = [_move(readers, slots, number, card, arrived) for number in range(count)]
    return {
        "moves": count,
        "latency_ms_p50": round(percentile(latencies, 0.5), 2),
        "latency_ms_p99": round(percentile(latencies, 0.99), 2),
        "settings": "the defaults: " + _scanning_text(),
        "includes": "the scanner's pause and debounce, the rules, an fsync'd commit, the screen drawing each change",
    }


def _quiet_moves(
    service: WallService, readers: dict, slots: list[str], card: str, arrived: queue.Queue, count: int
) -> dict:
    """Each move made once the scanner has slowed down (nothing moved for `stay_fast_for`),
    at a random moment of its idle pause: what the first card of a quiet morning waits."""
    latencies = []
    for number in range(count):
        deadline = time.monotonic() + SCANNING.stay_fast_for + 5
        while service.scanner.busy() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(random.uniform(0, SCANNING.idle_poll_interval))
        _drain(arrived)
        latencies.append(_move(readers, slots, number, card, arrived))
    return {
        "moves": count,
        "latency_ms_p50": round(percentile(latencies, 0.5), 2),
        "latency_ms_max": round(max(latencies), 2),
        "settings": "the defaults: " + _scanning_text(),
    }


def _move(readers: dict, slots: list[str], number: int, card: str, arrived: queue.Queue) -> float:
    """Take the card from the slot it is in (if any) to the next; ms until the subscriber has the event."""
    there = slots[number % len(slots)]
    for reader_id in slots:
        if reader_id != there and readers[reader_id].tags:
            readers[reader_id].set_tags([])
    placed = time.perf_counter()
    readers[there].set_tags([card])
    while True:
        at, _topic, payload = arrived.get(timeout=10)
        event = json.loads(payload)
        if event.get("slot") == there and event.get("type") in ("card_placed", "card_moved"):
            return (at - placed) * 1000


def _scanning_text() -> str:
    return (
        f"sweeps every {SCANNING.poll_interval * 1000:g} ms while anything moved in the last "
        f"{SCANNING.stay_fast_for:g} s, else every {SCANNING.idle_poll_interval * 1000:g} ms; "
        f"present after {SCANNING.present_after_seconds * 1000:g} ms"
    )

"""`wallboard bench` → "mqtt": a backlog drained, requests answered per second, card placed → event received.

Runs a whole wall (real threads, simulated readers, SQLite with synchronous=FULL)
against a private Mosquitto on a free loopback port; never a broker that happens
to run on the machine.
"""

import json
import queue
import socket
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import event as sqlalchemy_event

from board.app.config import load_config
from board.app.runtime import MqttInterface, simulated_readers
from board.core.clock import SystemClock
from board.dev.bench import percentile, wall_config_text
from board.dev.broker import MOSQUITTO, Mosquitto
from board.wall.service import WallService
from sensors.events import TagGone, TagSeen
from store.repository import Store

POLL_INTERVAL = 0.005  # scanner sweep; a card counts as present after 2 sweeps (the default)


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
            + f"\n[readers]\npoll_interval = {POLL_INTERVAL}\n"
            + f'\n[mqtt]\nenabled = true\nhost = "{broker.host}"\nport = {broker.port}\nusername = "wallboard"\n'
            + f'password_file = "{directory / "password"}"\n'
        )
        config = load_config(directory / "wallboard.toml")
        readers = simulated_readers(config)
        store = Store(config).open()
        service = WallService(config, store, readers, SystemClock(config.tz))
        interface = MqttInterface(config, service, store, readers)
        service.start()
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
            }
        finally:
            client.disconnect()
            client.loop_stop()
            interface.stop()
            service.stop()
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

    def count_commit(connection) -> None:
        nonlocal commits
        commits += 1

    sqlalchemy_event.listen(store.engine, "commit", count_commit)
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
        sqlalchemy_event.remove(store.engine, "commit", count_commit)
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
    """Move one card slot to slot `count` times; time from placing it to the subscriber's event."""
    _drain(arrived)
    latencies = []
    here = None
    for number in range(count):
        there = slots[number % len(slots)]
        if here is not None:
            readers[here].set_tags([])
        placed = time.perf_counter()
        readers[there].set_tags([card])
        while True:
            at, _topic, payload = arrived.get(timeout=10)
            event = json.loads(payload)
            if event.get("slot") == there and event.get("type") in ("card_placed", "card_moved"):
                latencies.append((at - placed) * 1000)
                break
        here = there
    return {
        "moves": count,
        "latency_ms_p50": round(percentile(latencies, 0.5), 2),
        "latency_ms_p99": round(percentile(latencies, 0.99), 2),
        "includes": f"scanner debounce: present after 2 sweeps of {POLL_INTERVAL * 1000:g} ms",
    }

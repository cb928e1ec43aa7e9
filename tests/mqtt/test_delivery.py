"""Nothing lost: events reach the broker in order across outages and a killed service."""

import signal
import subprocess
import time

from board.app.config import load_config
from store.repository import Store
from tests.app.test_cli import WALLBOARD, wallboard
from tests.mqtt.wall import DAAN, MO_BADGE, SANNE, RunningWall, write_wall_config

BASE = "wallboard/wall-1"


def test_a_subscriber_receives_every_event_of_a_busy_wall_in_order(running, connect):
    subscriber, first = running.settled_subscriber(connect)
    running.add_people()
    for slot in ["A1", "A2", "A3", "B1", "B2", "B3"] * 3:
        running.readers[slot].set_tags([SANNE])
        running.wait_until(lambda slot=slot: running.slot_of(1) == slot)
        running.readers[slot].set_tags([])
    last = running.store.last_seq()
    assert subscriber.event_seqs(last - first + 1) == list(range(first, last + 1))


def test_each_event_reaches_the_broker_exactly_as_the_log_holds_it(running, connect):
    subscriber, first = running.settled_subscriber(connect)
    running.add_people()
    for slot in ["A1", "B2"]:
        running.readers[slot].set_tags([SANNE])
        running.wait_until(lambda slot=slot: running.slot_of(1) == slot)
        running.readers[slot].set_tags([])
    running.readers["B2"].set_tags([SANNE, MO_BADGE])  # the coach confirms an attempt on the polaroid
    running.wait_until(lambda: running.service.snapshot().period.count == 1)
    logged = running.store.events_since(first - 1, 100)
    received = [message.json() for message in subscriber.events(len(logged))]
    assert received == [event.as_payload() for event in logged]
    assert "attempt_confirmed" in [payload["type"] for payload in received]


def test_200_moves_during_a_broker_outage_all_arrive_in_order_once_it_is_back(running, broker, connect):
    subscriber, first = running.settled_subscriber(connect, persistent=True)
    running.add_people()
    before = running.store.last_seq()
    assert subscriber.event_seqs(before - first + 1) == list(range(first, before + 1))
    running.wait_until(lambda: running.store.outbox_size() == 0)  # acknowledged, so none is re-sent

    broker.stop()
    running.wait_until(lambda: not running.mqtt.link.ready)
    slots = ["A1", "A2", "A3", "B1", "B2", "B3"]
    for move in range(200):
        slot = slots[move % len(slots)]
        running.readers[slot].set_tags([DAAN])
        running.wait_until(lambda slot=slot: running.slot_of(2) == slot)
        running.readers[slot].set_tags([])
    moved = running.store.last_seq() - before
    assert moved >= 200 and running.store.outbox_size() == moved  # all kept, none sent
    broker.start()

    assert subscriber.event_seqs(moved, timeout=60) == list(range(before + 1, before + moved + 1))
    assert subscriber.nothing_within(0.5)  # none twice
    running.wait_until(lambda: running.store.outbox_size() == 0, timeout=10)


def test_a_fresh_wall_says_online_then_publishes_its_state_then_its_first_event(broker, connect, tmp_path):
    watcher = connect("viewer").subscribe(f"{BASE}/availability", f"{BASE}/state", f"{BASE}/event/#")
    wall = RunningWall(write_wall_config(tmp_path, broker), broker)  # its first period started before it connected
    try:
        assert [watcher.next().topic for _ in range(3)] == [
            f"{BASE}/availability",
            f"{BASE}/state",
            f"{BASE}/event/period_started",
        ]
    finally:
        wall.close()


def test_after_an_outage_the_wall_says_online_then_its_state_then_the_events_it_kept(running, broker, connect):
    running.add_people()
    watcher, first = running.settled_subscriber(connect, persistent=True)
    watcher.subscribe(f"{BASE}/availability", f"{BASE}/state")
    while not watcher.nothing_within(0.3):  # the retained availability and state
        watcher.next()

    broker.stop()
    running.wait_until(lambda: not running.mqtt.link.ready)
    running.readers["A1"].set_tags([SANNE])
    running.wait_until(lambda: running.slot_of(1) == "A1")
    broker.start()

    availability = watcher.next(timeout=10)
    while availability.json() == {"state": "offline"}:  # the last will Mosquitto sent as it shut down
        availability = watcher.next(timeout=10)
    state, placed = watcher.next(), watcher.next()
    assert availability.topic == f"{BASE}/availability" and availability.json() == {"state": "online"}
    assert state.topic == f"{BASE}/state" and state.json()["people_on_wall"] == 1
    assert placed.topic == f"{BASE}/event/card_placed" and placed.json()["seq"] == first


def outbox_size(config_path) -> int:
    with Store(load_config(config_path)) as store:
        return store.outbox_size()


def start_wall(config_path, cwd) -> subprocess.Popen:
    return subprocess.Popen(
        [WALLBOARD, "--config", str(config_path), "run", "--headless"],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_events_left_in_the_outbox_by_a_killed_service_are_delivered_after_restart(broker, connect, tmp_path):
    config_path = write_wall_config(tmp_path, broker)
    subscriber = connect("viewer", persistent=True).subscribe(f"{BASE}/event/#", f"{BASE}/availability")
    wall = start_wall(config_path, tmp_path)
    try:
        assert subscriber.wait_for(f"{BASE}/availability", timeout=20).json() == {"state": "online"}
        first = subscriber.event_seqs(1)  # the first period started
        broker.stop()
        for name, card in [("Sanne", SANNE), ("Daan", DAAN)]:  # the CLI writes while the wall runs
            wallboard("--config", str(config_path), "person", "add", name, "--card", card, cwd=tmp_path)
        time.sleep(1.5)  # the running wall has seen them, and cannot publish
        wall.send_signal(signal.SIGKILL)
        wall.wait(10)
        pending = outbox_size(config_path)
        assert pending == 4  # two people, two cards

        broker.start()
        wall = start_wall(config_path, tmp_path)
        # The broker may hand the persistent subscriber seq 1 once more (QoS 1); it drops it by seq.
        assert subscriber.event_seqs_after(first[0], pending) == list(range(first[0] + 1, first[0] + 1 + pending))

        wall.send_signal(signal.SIGKILL)  # with the broker up, its last will says offline
        wall.wait(10)
        assert subscriber.wait_for(f"{BASE}/availability", timeout=20).json() == {"state": "offline"}
    finally:
        wall.kill()
        wall.wait(10)

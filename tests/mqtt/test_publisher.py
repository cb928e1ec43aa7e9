"""Events, state, availability and discovery reach a real broker, in order, after outages."""

import socket
import sqlite3
import threading
import time
from datetime import datetime, timedelta, timezone

import paho.mqtt.client as mqtt
import pytest

from board.core.events import EventType
from board.core.snapshot import LevelView, PeriodView, PersonView, SlotStatus, SlotView, Snapshot
from board.mqtt.link import MqttLink
from board.mqtt.publisher import MqttPublisher
from tests.mqtt.outbox import MemoryOutbox
from tests.mqtt.wall import home_assistant_device

BOARD = "wall-1"
BASE = f"wallboard/{BOARD}"
NOW = datetime(2025, 3, 12, 15, 4, tzinfo=timezone(timedelta(hours=1)))


def snapshot(version: int, count: int = 0) -> Snapshot:
    sanne = PersonView(7, "Sanne", "/data/photos/ab12.png")
    level = LevelView(
        "A", "Start", (SlotView("A1", SlotStatus.OCCUPIED, sanne, moved_at=NOW), SlotView("A2", SlotStatus.EMPTY))
    )
    period = PeriodView(1, NOW, NOW + timedelta(days=7), goal=10, count=count, today=count)
    return Snapshot(version, BOARD, "nl", NOW, (level,), period)


def wait_until(condition, timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.02)


@pytest.fixture
def wall(mqtt_config):
    """start(outbox, config={...}, **publisher_options) -> (link, publisher), running against the test broker."""
    started = []

    def _start(outbox: MemoryOutbox, config: dict | None = None, **publisher_options) -> tuple[MqttLink, MqttPublisher]:
        link = MqttLink(mqtt_config(**(config or {})), BOARD)
        publisher = MqttPublisher(
            link, outbox, home_assistant_device(link.config), **({"poll_interval": 0.2} | publisher_options)
        )
        publisher.start()
        link.start()
        started.append((link, publisher))
        return link, publisher

    yield _start
    for link, publisher in started:
        publisher.stop()
        link.stop()


def test_a_subscriber_receives_every_event_in_seq_order_and_the_outbox_empties(wall, connect):
    subscriber = connect("viewer").subscribe(f"{BASE}/event/#")
    outbox = MemoryOutbox()
    link, publisher = wall(outbox)
    assert link.wait_ready(10)
    for number in range(50):
        event = outbox.record(
            EventType.CARD_MOVED if number % 2 else EventType.ATTEMPT_CONFIRMED,
            person_id=7,
            slot_id="A1",
            details={"person_name": "Sanne"},
        )
        publisher.on_event(event)
    events = subscriber.events(50)
    assert [event.json()["seq"] for event in events] == list(range(1, 51))
    assert events[1].topic == f"{BASE}/event/card_moved"
    assert events[1].json()["person"] == {"id": 7, "name": "Sanne"}
    assert datetime.fromisoformat(events[1].json()["at"]).utcoffset() is not None
    wait_until(lambda: outbox.empty, what="outbox marked sent")
    assert outbox.sent == list(range(1, 51))


def opened_session(mqtt_config, outbox: MemoryOutbox) -> tuple[MqttLink, MqttPublisher]:
    """A connected link whose session the publisher opened with one step of its own, its thread not running."""
    link = MqttLink(mqtt_config(), BOARD)
    publisher = MqttPublisher(link, outbox, home_assistant_device(link.config))
    link.start()
    assert link.wait_ready(10)
    publisher.step()
    return link, publisher


def test_the_next_event_goes_to_the_broker_from_on_event_itself_without_the_publisher_thread(mqtt_config, connect):
    subscriber = connect("viewer").subscribe(f"{BASE}/event/#")
    outbox = MemoryOutbox()
    link, publisher = opened_session(mqtt_config, outbox)
    try:
        for _ in range(3):
            publisher.on_event(outbox.record())
        assert subscriber.event_seqs(3) == [1, 2, 3]
    finally:
        link.stop()


def test_on_event_never_hands_an_event_over_ahead_of_an_older_one_still_in_the_outbox(mqtt_config, connect):
    subscriber = connect("viewer").subscribe(f"{BASE}/event/#")
    outbox = MemoryOutbox()
    link, publisher = opened_session(mqtt_config, outbox)
    try:
        outbox.record()  # recorded by another process: nobody calls on_event for it
        publisher.on_event(outbox.record())
        assert subscriber.nothing_within(0.3)
        publisher.step()  # what the woken publisher thread does: the outbox, in order
        assert subscriber.event_seqs(2) == [1, 2]
    finally:
        link.stop()


def test_events_recorded_before_the_wall_started_go_out_first(wall, connect):
    subscriber = connect("viewer").subscribe(f"{BASE}/event/#")
    outbox = MemoryOutbox().with_backlog(25)
    link, publisher = wall(outbox)
    assert subscriber.event_seqs(25) == list(range(1, 26))


def test_two_hundred_moves_while_the_broker_is_down_all_arrive_in_order_once_it_is_back(broker, wall, connect):
    subscriber = connect("viewer", persistent=True).subscribe(f"{BASE}/event/#")
    outbox = MemoryOutbox()
    link, publisher = wall(outbox)
    assert link.wait_ready(10)
    publisher.on_event(outbox.record())
    assert subscriber.event_seqs(1) == [1]
    wait_until(lambda: outbox.empty)

    broker.stop()
    wait_until(lambda: not link.ready, what="link noticed the outage")
    for _ in range(200):
        publisher.on_event(outbox.record(EventType.CARD_MOVED, person_id=7, slot_id="A2"))
    time.sleep(0.5)
    assert len(outbox.pending_outbox(1000)) == 200  # kept, not lost
    broker.start()

    assert subscriber.event_seqs(200) == list(range(2, 202))
    wait_until(lambda: outbox.empty, what="outbox drained")
    assert subscriber.nothing_within(0.5)  # and nothing twice


def test_a_backlog_is_marked_sent_in_a_few_transactions_not_one_per_event(wall, connect):
    subscriber = connect("viewer").subscribe(f"{BASE}/event/#")
    outbox = MemoryOutbox().with_backlog(200)
    wall(outbox)
    assert subscriber.event_seqs(200) == list(range(1, 201))
    wait_until(lambda: outbox.empty, what="outbox marked sent")
    assert outbox.sent == list(range(1, 201))
    assert len(outbox.batches) <= 200 // 10


def test_a_lone_acknowledged_event_is_marked_sent_within_the_delay_not_at_the_next_poll(wall, connect):
    subscriber = connect("viewer").subscribe(f"{BASE}/event/#")
    outbox = MemoryOutbox()
    link, publisher = wall(outbox, poll_interval=30, ack_delay=0.2)
    assert link.wait_ready(10)
    publisher.on_event(outbox.record())
    assert subscriber.event_seqs(1) == [1]
    wait_until(lambda: outbox.empty, timeout=3, what="the event marked sent")


def acknowledged_so_far(link: MqttLink) -> None:
    """Return once the broker has acknowledged all the link published so far (PUBACKs come in order)."""
    acknowledged: set[int] = set()
    link.when_acked(lambda mid, reason: acknowledged.add(mid))
    marker = link.publish(f"{BASE}/response/test-marker", {})
    wait_until(lambda: marker in acknowledged, what="PUBACK of the marker")


def test_a_clean_stop_marks_sent_what_the_broker_has_acknowledged(wall, connect):
    subscriber = connect("viewer").subscribe(f"{BASE}/event/#")
    outbox = MemoryOutbox().with_backlog(3)
    link, publisher = wall(outbox, ack_batch=1000, ack_delay=60)
    assert subscriber.event_seqs(3) == [1, 2, 3]
    acknowledged_so_far(link)
    assert outbox.batches == []  # not due yet
    publisher.stop()
    assert outbox.batches == [[1, 2, 3]]


class LockedOutbox(MemoryOutbox):
    """An outbox whose marks cannot be written while `locked`, like a database another process holds."""

    def __init__(self):
        super().__init__()
        self.locked = True
        self.refusals = 0

    def mark_sent(self, seqs) -> None:
        if self.locked:
            self.refusals += 1
            raise sqlite3.OperationalError("database is locked")
        super().mark_sent(seqs)


def test_acknowledgements_that_could_not_be_written_are_written_once_the_database_is_free(wall, connect):
    subscriber = connect("viewer").subscribe(f"{BASE}/event/#")
    outbox = LockedOutbox().with_backlog(3)
    wall(outbox, ack_delay=0.05)
    assert subscriber.event_seqs(3) == [1, 2, 3]
    wait_until(lambda: outbox.refusals >= 2, what="marking tried and tried again")
    assert [event.seq for event in outbox.pending_outbox(10)] == [1, 2, 3]
    outbox.locked = False
    wait_until(lambda: outbox.empty, what="marks written")
    assert outbox.sent == [1, 2, 3]
    assert subscriber.nothing_within(0.3)  # nothing sent twice meanwhile


def test_events_whose_marks_were_never_written_are_sent_again_by_the_next_run(wall, connect):
    subscriber = connect("viewer").subscribe(f"{BASE}/event/#")
    outbox = LockedOutbox().with_backlog(3)
    link, publisher = wall(outbox)
    assert subscriber.event_seqs(3) == [1, 2, 3]
    publisher.stop()  # its marks cannot be written on the way out either: as if the wall had crashed
    link.stop()
    outbox.locked = False
    wall(outbox)
    assert subscriber.event_seqs(3) == [1, 2, 3]  # again: consumers drop repeats by seq
    wait_until(lambda: outbox.empty, what="marks written by the next run")


def test_the_wall_keeps_working_without_a_broker(mqtt_config):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        dead_port = unused.getsockname()[1]
    outbox = MemoryOutbox()
    link = MqttLink(mqtt_config(port=dead_port), BOARD)
    publisher = MqttPublisher(link, outbox, home_assistant_device(link.config), poll_interval=0.05)
    publisher.start()
    link.start()
    for _ in range(5):
        publisher.on_event(outbox.record())
        publisher.on_snapshot(snapshot(1))
    time.sleep(0.5)
    assert not link.ready and len(outbox.pending_outbox(10)) == 5
    started = time.monotonic()
    publisher.stop()
    link.stop()
    assert time.monotonic() - started < 3


def test_availability_is_retained_online_and_offline_after_a_clean_stop(wall, connect):
    link, publisher = wall(MemoryOutbox())
    assert link.wait_ready(10)
    late = connect("viewer").subscribe(f"{BASE}/availability")
    message = late.wait_for(f"{BASE}/availability")
    assert message.retain and message.json() == {"state": "online"}
    link.stop()
    assert late.wait_for(f"{BASE}/availability").json() == {"state": "offline"}


def test_state_is_retained_and_republished_on_every_change(wall, connect):
    outbox = MemoryOutbox()
    link, publisher = wall(outbox)
    assert link.wait_ready(10)
    watcher = connect("viewer").subscribe(f"{BASE}/state")
    publisher.on_snapshot(snapshot(1, count=3))
    state = watcher.wait_for(f"{BASE}/state").json()
    assert state["board_id"] == BOARD
    assert state["period"]["count"] == 3
    assert state["period"]["goal"] == 10 and state["period"]["percent"] == 30.0
    slot = state["levels"][0]["slots"][0]
    assert slot == {
        "id": "A1",
        "status": "occupied",
        "person": {"id": 7, "name": "Sanne", "photo": "ab12.png"},
        "unknown_uid": None,
        "since": NOW.isoformat(),
    }
    assert state["people_on_wall"] == 1
    publisher.on_snapshot(snapshot(2, count=4))
    assert watcher.wait_for(f"{BASE}/state").json()["period"]["count"] == 4
    late = connect("viewer").subscribe(f"{BASE}/state")
    retained = late.wait_for(f"{BASE}/state")
    assert retained.retain and retained.json()["version"] == 2


def test_home_assistant_discovers_the_wall_as_one_device_and_is_told_again_when_it_restarts(wall, connect):
    link, publisher = wall(MemoryOutbox())
    assert link.wait_ready(10)
    home_assistant = connect("homeassistant").subscribe("homeassistant/#")
    config = home_assistant.wait_for(f"homeassistant/device/wallboard_{BOARD}/config").json()
    late = connect("homeassistant").subscribe("homeassistant/#")
    assert late.wait_for(f"homeassistant/device/wallboard_{BOARD}/config").retain
    assert config["state_topic"] == f"{BASE}/state"
    assert config["availability"][0]["topic"] == f"{BASE}/availability"
    assert config["device"]["identifiers"] == [f"wallboard_{BOARD}"] and config["origin"]["name"] == "Polaroid Wall"
    attempts = config["components"]["attempts"]
    assert attempts["unique_id"] == f"wallboard_{BOARD}_attempts"
    assert attempts["default_entity_id"] == "sensor.wallboard_wall_1_attempts"

    home_assistant.publish("homeassistant/status", b"online", raw=True)
    assert home_assistant.wait_for(f"homeassistant/device/wallboard_{BOARD}/config").json() == config


def test_per_entity_configs_an_earlier_version_left_are_removed(wall, connect):
    legacy = f"homeassistant/sensor/wallboard_{BOARD}/attempts/config"
    connect("wallboard").publish(legacy, {"name": "Attempts this period"}, retain=True)
    link, publisher = wall(MemoryOutbox())
    assert link.wait_ready(10)
    connect("homeassistant").subscribe("homeassistant/#").wait_for(f"homeassistant/device/wallboard_{BOARD}/config")
    assert connect("homeassistant").subscribe("homeassistant/sensor/#").nothing_within(0.5)


def test_disabling_discovery_removes_the_device(wall, connect):
    device_topic = f"homeassistant/device/wallboard_{BOARD}/config"
    link, publisher = wall(MemoryOutbox())
    watcher = connect("homeassistant").subscribe("homeassistant/#")
    assert watcher.wait_for(device_topic).payload
    publisher.stop()
    link.stop()
    link, publisher = wall(MemoryOutbox(), config={"discovery": False})
    assert watcher.wait_for(device_topic).payload == b""
    assert connect("homeassistant").subscribe("homeassistant/#").nothing_within(0.5)  # nothing retained is left


class Mqtt311OnlyBroker:
    """Refuses MQTT 5 the way a 3.1.1 broker does, accepts 3.1.1 and acknowledges publishes."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.port = self.server.getsockname()[1]
        self.protocol_levels: list[int] = []
        threading.Thread(target=self._serve, daemon=True).start()

    @staticmethod
    def _read_packet(connection) -> tuple[int, bytes]:
        header = connection.recv(1)
        if not header:
            raise ConnectionError
        length, multiplier = 0, 1
        while True:
            byte = connection.recv(1)[0]
            length += (byte & 0x7F) * multiplier
            multiplier *= 128
            if not byte & 0x80:
                break
        body = b""
        while len(body) < length:
            body += connection.recv(length - len(body))
        return header[0], body

    def _serve(self) -> None:
        while True:
            connection, _ = self.server.accept()
            try:
                _, connect = self._read_packet(connection)
                level = connect[6]
                self.protocol_levels.append(level)
                if level != 4:
                    connection.sendall(bytes([0x20, 2, 0, 1]))  # unacceptable protocol version
                    connection.close()
                    continue
                connection.sendall(bytes([0x20, 2, 0, 0]))
                while True:
                    kind, body = self._read_packet(connection)
                    if kind >> 4 == 3 and (kind >> 1) & 3 == 1:  # PUBLISH at QoS 1
                        topic_length = int.from_bytes(body[:2], "big")
                        connection.sendall(bytes([0x40, 2]) + body[2 + topic_length : 4 + topic_length])
                    elif kind >> 4 == 8:  # SUBSCRIBE
                        connection.sendall(bytes([0x90, 3]) + body[:2] + b"\x01")
            except (ConnectionError, IndexError, OSError):
                connection.close()


def test_a_broker_that_refuses_mqtt_5_gets_mqtt_3_1_1(mqtt_config):
    old_broker = Mqtt311OnlyBroker()
    link = MqttLink(mqtt_config(port=old_broker.port), BOARD)
    link.start()
    try:
        assert link.wait_ready(10)
        assert link.protocol == mqtt.MQTTv311
        assert old_broker.protocol_levels[:2] == [5, 4]
    finally:
        link.stop()

"""Events, state, availability and discovery reach a real broker, in order, after outages."""

import socket
import threading
import time
from datetime import datetime, timedelta, timezone

import paho.mqtt.client as mqtt
import pytest

from board.events import EventType
from board.mqtt.link import MqttLink
from board.mqtt.publisher import MqttPublisher
from board.snapshot import LevelView, PeriodView, PersonView, SlotStatus, SlotView, Snapshot
from tests.mqtt.outbox import MemoryOutbox

BOARD = "wall-1"
BASE = f"wallboard/{BOARD}"
NOW = datetime(2025, 3, 12, 15, 4, tzinfo=timezone(timedelta(hours=1)))


def snapshot(version: int, count: int = 0) -> Snapshot:
    sanne = PersonView(7, "Sanne", "/data/photos/ab12.png")
    level = LevelView("A", "Start", (SlotView("A1", SlotStatus.OCCUPIED, sanne, moved_at=NOW), SlotView("A2", SlotStatus.EMPTY)))
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
    """start(outbox, **config) -> (link, publisher), running against the test broker."""
    started = []

    def _start(outbox: MemoryOutbox, **overrides) -> tuple[MqttLink, MqttPublisher]:
        link = MqttLink(mqtt_config(**overrides), BOARD)
        publisher = MqttPublisher(link, outbox, BOARD, poll_interval=0.2)
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
        event = outbox.record(EventType.CARD_MOVED if number % 2 else EventType.ATTEMPT_CONFIRMED,
                              person_id=7, slot_id="A1", details={"person_name": "Sanne"})
        publisher.on_event(event)
    events = subscriber.events(50)
    assert [event.json()["seq"] for event in events] == list(range(1, 51))
    assert events[1].topic == f"{BASE}/event/card_moved"
    assert events[1].json()["person"] == {"id": 7, "name": "Sanne"}
    assert datetime.fromisoformat(events[1].json()["at"]).utcoffset() is not None
    wait_until(lambda: outbox.empty, what="outbox marked sent")
    assert outbox.sent == list(range(1, 51))


def test_events_recorded_before_the_wall_started_go_out_first(wall, connect):
    subscriber = connect("viewer").subscribe(f"{BASE}/event/#")
    outbox = MemoryOutbox()
    for _ in range(25):
        outbox.record()
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


def test_the_wall_keeps_working_without_a_broker(mqtt_config):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        dead_port = unused.getsockname()[1]
    outbox = MemoryOutbox()
    link = MqttLink(mqtt_config(port=dead_port), BOARD)
    publisher = MqttPublisher(link, outbox, BOARD, poll_interval=0.05)
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
    assert slot == {"id": "A1", "status": "occupied", "person": {"id": 7, "name": "Sanne", "photo": "ab12.png"},
                    "unknown_uid": None, "since": NOW.isoformat()}
    assert state["people_on_wall"] == 1
    publisher.on_snapshot(snapshot(2, count=4))
    assert watcher.wait_for(f"{BASE}/state").json()["period"]["count"] == 4
    late = connect("viewer").subscribe(f"{BASE}/state")
    retained = late.wait_for(f"{BASE}/state")
    assert retained.retain and retained.json()["version"] == 2


def test_home_assistant_discovers_the_wall_and_is_told_again_when_it_restarts(wall, connect):
    link, publisher = wall(MemoryOutbox())
    assert link.wait_ready(10)
    time.sleep(0.3)
    home_assistant = connect("admin").subscribe("homeassistant/sensor/#")
    configs = {}
    while len(configs) < 5:
        message = home_assistant.next()
        assert message.retain
        configs[message.topic] = message
    config = configs["homeassistant/sensor/wallboard_wall-1/attempts/config"].json()
    assert config["state_topic"] == f"{BASE}/state"
    assert config["unique_id"] == "wallboard_wall-1_attempts"
    assert config["device"]["identifiers"] == ["wallboard_wall-1"]
    assert config["availability"][0]["topic"] == f"{BASE}/availability"

    home_assistant.publish("homeassistant/status", b"online", raw=True)
    again = {home_assistant.next().topic for _ in range(5)}
    assert again == set(configs)


def test_disabling_discovery_removes_the_entities(wall, connect, mqtt_config):
    link, publisher = wall(MemoryOutbox())
    assert link.wait_ready(10)
    publisher.stop()
    link.stop()
    link, publisher = wall(MemoryOutbox(), discovery=False)
    assert link.wait_ready(10)
    time.sleep(0.3)
    late = connect("admin").subscribe("homeassistant/sensor/#")
    assert late.nothing_within(0.5)  # no retained config is left


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
                        connection.sendall(bytes([0x40, 2]) + body[2 + topic_length:4 + topic_length])
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

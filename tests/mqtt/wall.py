"""A running wall (real threads, real clock) with MQTT, for end-to-end tests."""

import time
from collections.abc import Callable
from pathlib import Path

from board.app.config import Config, load_config
from board.app.runtime import MqttInterface, simulated_readers
from board.core.clock import SystemClock
from board.core.settings import Level, WallSettings
from board.dev.broker import Mosquitto
from board.mqtt.config import MqttConfig
from board.mqtt.discovery import HomeAssistantDevice
from board.wall.service import WallService
from sensors.base import Reader
from store.repository import Store
from tests.mqtt.clients import Admin, TestClient

SANNE, DAAN = "04AA0000000001", "04AA0000000002"
MO_BADGE = "C0AC0001"

# The wall's [mqtt] section for a test broker (format with host, port, password_file).
MQTT_SECTION = """
[mqtt]
enabled = true
host = "{host}"
port = {port}
username = "wallboard"
password_file = "{password_file}"
reconnect_min_delay = 0.1
reconnect_max_delay = 0.5
"""

WALL_TOML = (
    """
board_id = "wall-1"
timezone = "Europe/Amsterdam"
data_dir = "data"

[[levels]]
id = "A"
name = "Start"
slots = ["A1", "A2", "A3"]

[[levels]]
id = "B"
name = "Top"
slots = ["B1", "B2", "B3"]

[readers]
poll_interval = 0.005
gone_after_seconds = 0.015

[rules]
default_goal = 5
move_window = 2

"""
    + MQTT_SECTION
)


def home_assistant_device(mqtt: MqttConfig, board_id: str = "wall-1", language: str = "nl") -> HomeAssistantDevice:
    """The discovery of a two-level wall with a coach pad, around this [mqtt] section."""
    levels = [Level(id="A", name="Start", slots=["A1", "A2"]), Level(id="B", name="Top", slots=["B1"])]
    return HomeAssistantDevice(WallSettings(board_id=board_id, language=language, levels=levels), mqtt)


def write_wall_config(directory: Path, broker: Mosquitto, board_id: str = "wall-1") -> Path:
    password_file = directory / "mqtt-password"
    password_file.write_text(broker.users["wallboard"])
    path = directory / "wallboard.toml"
    text = WALL_TOML.format(host=broker.host, port=broker.port, password_file=password_file)
    path.write_text(text.replace('board_id = "wall-1"', f'board_id = "{board_id}"'))
    Store(load_config(path)).open().close()  # a wall set up: config and database, as `wallboard init` leaves it
    return path


class RunningWall:
    def __init__(
        self,
        config_path: Path,
        broker: Mosquitto,
        build_readers: Callable[[Config], dict[str, Reader]] = simulated_readers,
    ):
        self.config = load_config(config_path)
        self.base = f"wallboard/{self.config.board_id}"
        self.readers = build_readers(self.config)
        self.store = Store(self.config).open()
        self.service = WallService(self.config, self.store, self.readers, SystemClock(self.config.tz))
        self.mqtt = MqttInterface(self.config, self.service, self.readers)
        self.service.start()
        self.mqtt.start()
        if not self.mqtt.link.wait_ready(10):
            raise TimeoutError("the wall did not connect to the test broker")
        self.admin = Admin(broker, self.base).connect()

    def ok(self, command: str, payload: dict | None = None) -> dict:
        response = self.admin.request(command, payload)
        assert response["status"] == "ok", response
        return response["data"]

    def error(self, command: str, payload=None, **options) -> str:
        response = self.admin.request(command, payload, **options)
        assert response["status"] == "error", response
        return response["error"]["code"]

    def add_people(self) -> dict[str, int]:
        sanne = self.ok("person/add", {"name": "Sanne"})["person"]["id"]
        daan = self.ok("person/add", {"name": "Daan"})["person"]["id"]
        self.ok("card/assign", {"person_id": sanne, "uid": SANNE})
        self.ok("card/assign", {"person_id": daan, "uid": DAAN})
        self.ok("coach/add", {"name": "Mo", "uid": MO_BADGE})
        return {"Sanne": sanne, "Daan": daan}

    def slot_of(self, person_id: int) -> str | None:
        return self.service.call(lambda: self.service.state.positions.get(person_id, (None,))[0])

    def settled_subscriber(self, connect, **options) -> tuple[TestClient, int]:
        """A subscriber to the events that joins once everything so far is published; returns it and the next seq."""
        self.wait_until(lambda: self.store.outbox_size() == 0)
        return connect("viewer", **options).subscribe(f"{self.base}/event/#"), self.store.last_seq() + 1

    def wait_until(self, condition, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("condition not met")
            time.sleep(0.01)

    def close(self) -> None:
        self.admin.close()
        self.mqtt.stop()
        self.service.stop()
        self.store.close()

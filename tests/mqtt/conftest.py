import pytest

from board.dev.broker import Mosquitto
from board.mqtt.config import MqttConfig
from tests.mqtt.clients import TestClient
from tests.mqtt.wall import RunningWall, write_wall_config


@pytest.fixture
def broker():
    """A fresh Mosquitto with the deploy ACL; fails loudly (never skips) when missing."""
    with Mosquitto() as running:
        yield running


@pytest.fixture
def connect(broker):
    """connect(user) -> a connected TestClient; all are closed after the test."""
    clients = []

    def _connect(user: str = "admin", **options) -> TestClient:
        client = TestClient(broker, user, **options).connect()
        clients.append(client)
        return client

    yield _connect
    for client in clients:
        client.close()


@pytest.fixture
def mqtt_config(broker, tmp_path):
    """The wall's [mqtt] section for the test broker, as the `wallboard` user."""
    password_file = tmp_path / "mqtt-password"
    password_file.write_text(broker.users["wallboard"] + "\n")

    def _config(**overrides) -> MqttConfig:
        settings = dict(
            enabled=True,
            host=broker.host,
            port=broker.port,
            username="wallboard",
            password_file=password_file,
            reconnect_min_delay=0.1,
            reconnect_max_delay=0.5,
        )
        return MqttConfig(**(settings | overrides))

    return _config


@pytest.fixture
def running(broker, tmp_path):
    """A whole wall on simulated readers with its MQTT interface, and an admin to talk to it."""
    wall = RunningWall(write_wall_config(tmp_path, broker), broker)
    yield wall
    wall.close()

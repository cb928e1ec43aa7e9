import pytest

from tests.mosquitto import Mosquitto
from tests.mqtt.clients import TestClient


@pytest.fixture
def broker():
    """A fresh Mosquitto with the deploy ACL; fails loudly (never skips) when missing."""
    with Mosquitto() as running:
        yield running


@pytest.fixture
def connect(broker):
    """connect(user) -> a connected TestClient; all are closed after the test."""
    clients = []

    def _connect(user: str = "admin") -> TestClient:
        client = TestClient(broker, user).connect()
        clients.append(client)
        return client

    yield _connect
    for client in clients:
        client.close()

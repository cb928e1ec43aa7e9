import itertools

import pytest

from board.dev.postgres import PostgreSQL

_databases = itertools.count(1)


@pytest.fixture(scope="session")
def postgres():
    """One private PostgreSQL cluster for the session (initdb in a temp dir, a free loopback port); fails loudly when missing."""
    with PostgreSQL() as cluster:
        yield cluster


@pytest.fixture
def postgres_url(postgres) -> str:
    """A fresh, empty database in the test cluster."""
    return postgres.url(f"fleet_{next(_databases)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def fleet_url(request, tmp_path) -> str:
    """The fleet database on both backends: the same test, the same assertions, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fleet.db'}"
    return request.getfixturevalue("postgres_url")


# The real Mosquitto and the running wall of the MQTT tests.
from tests.mqtt.conftest import broker, running  # noqa: E402, F401

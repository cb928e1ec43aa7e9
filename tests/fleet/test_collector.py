"""The collector between a real Mosquitto, a running wall (simulated readers, real clock) and a real database."""

import os
import signal
import subprocess
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from board.fleet.collector import Collector
from board.fleet.db import open_fleet
from board.fleet.models import Event, Wall
from board.mqtt.config import MqttConfig
from tests.app.test_cli import WALLBOARD
from tests.fleet.walls import fleet_says, wall_says
from tests.mqtt.clients import TestClient
from tests.mqtt.wall import DAAN, MO_BADGE, SANNE

GROUP = "fleet-test"


def wait_until(condition, timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not met within {timeout} s")
        time.sleep(0.05)


def wait_subscribed(broker, client_id: str) -> None:
    """Until the broker has the collector in the group (its log says so)."""
    shared = f"$share/{GROUP}/wallboard/+/event/#"
    wait_until(lambda: shared in broker.subscriptions(client_id), what=f"{client_id} subscribed")


@pytest.fixture
def collector_config(broker, tmp_path):
    """The [mqtt] settings of a collector on the test broker: an admin (it asks walls for events/get)."""
    password_file = tmp_path / "collector-password"
    password_file.write_text(broker.users["admin"])

    def _config(client_id: str) -> MqttConfig:
        return MqttConfig(
            enabled=True,
            host=broker.host,
            port=broker.port,
            username="admin",
            password_file=password_file,
            client_id=client_id,
            reconnect_min_delay=0.1,
            reconnect_max_delay=0.5,
        )

    return _config


@pytest.fixture
def start_collector(broker, collector_config):
    started: list[Collector] = []

    def _start(url: str, client_id: str = "collector-1", **options) -> Collector:
        options = {"gap_grace": 0.5, "sweep_every": 3600.0} | options
        collector = Collector(open_fleet(url), collector_config(client_id), group=GROUP, **options).start()
        started.append(collector)
        wait_subscribed(broker, client_id)
        return collector

    yield _start
    for collector in started:
        collector.stop()
        collector.engine.dispose()


def move(running, person_id: int, card: str, to_slot: str) -> None:
    """Take the card off its slot and hang it in `to_slot`, and wait until the wall has recorded it."""
    for reader in running.readers.values():
        if card in reader.tags:
            reader.set_tags([uid for uid in reader.tags if uid != card])
    running.readers[to_slot].set_tags([*running.readers[to_slot].tags, card])
    running.wait_until(lambda: running.slot_of(person_id) == to_slot)


def confirm(running, card: str, slot: str) -> None:
    """Mo holds his badge against the polaroid in `slot`: one attempt."""
    count = running.service.snapshot().period.count
    running.readers[slot].set_tags([card, MO_BADGE])
    running.wait_until(lambda: running.service.snapshot().period.count == count + 1)
    running.readers[slot].set_tags([card])


def busy_morning(running, people: dict[str, int], moves: int = 6) -> None:
    """Both cards hung, Sanne's moved around (up and down), both confirmed once (once a minute per pair)."""
    move(running, people["Daan"], DAAN, "A2")
    shuffle(running, people, moves)
    confirm(running, SANNE, running.slot_of(people["Sanne"]))
    confirm(running, DAAN, "A2")


def shuffle(running, people: dict[str, int], moves: int) -> None:
    for step in range(moves):
        move(running, people["Sanne"], SANNE, ["A1", "B1", "A3", "B2"][step % 4])


def all_collected(running, url_engine) -> bool:
    running.wait_until(lambda: running.store.outbox_size() == 0, timeout=10)
    with Session(url_engine) as session:
        wall = session.get(Wall, "wall-1")
        return wall is not None and wall.last_seq == running.store.last_seq()


def stored_events(engine) -> list[int]:
    with Session(engine) as session:
        return list(session.scalars(select(Event.seq).where(Event.board_id == "wall-1").order_by(Event.seq)))


def test_every_event_of_a_live_wall_is_stored_once_and_the_derived_state_is_the_walls_own(
    fleet_url, running, start_collector, broker
):
    collector = start_collector(fleet_url)
    people = running.add_people()
    busy_morning(running, people)
    wait_until(lambda: all_collected(running, collector.engine), what="every event collected")

    assert stored_events(collector.engine) == list(range(1, running.store.last_seq() + 1))
    with Session(collector.engine) as session:
        assert fleet_says(session, "wall-1") == wall_says(running.service.snapshot())
        wall = session.get_one(Wall, "wall-1")
        assert (wall.online, wall.slots, wall.people, wall.attempts) == (True, 6, 2, 2)

    # The broker hands an event out again (QoS 1 after a lost PUBACK): nothing changes.
    repeated = collector.stats.events_repeated
    wall_client = TestClient(broker, "wallboard").connect()
    again = running.store.events_since(2, 1)[0].as_payload()
    wall_client.publish(f"wallboard/wall-1/event/{again['type']}", again)
    wall_client.close()
    wait_until(lambda: collector.stats.events_repeated > repeated, what="the repeat handled")
    assert stored_events(collector.engine) == list(range(1, running.store.last_seq() + 1))


def test_events_another_member_of_the_group_took_and_lost_are_asked_from_the_wall(
    postgres_url, running, start_collector, broker
):
    """A client in the collectors' group takes its share of events and never writes them: a collector that died."""
    collector = start_collector(postgres_url)
    lost = TestClient(broker, "admin").connect().subscribe(f"$share/{GROUP}/wallboard/+/event/#")
    people = running.add_people()
    move(running, people["Sanne"], SANNE, "A1")
    move(running, people["Daan"], DAAN, "A2")
    wait_until(lambda: not lost.messages.empty(), what="the other member's share")
    lost.close()  # gone: from now on the collector gets every event

    for slot in ["B1", "A3", "B2"]:
        move(running, people["Sanne"], SANNE, slot)
    wait_until(lambda: all_collected(running, collector.engine), what="every event collected")

    assert collector.stats.requests >= 1  # events/get filled the gaps
    assert stored_events(collector.engine) == list(range(1, running.store.last_seq() + 1))
    with Session(collector.engine) as session:
        assert fleet_says(session, "wall-1") == wall_says(running.service.snapshot())


def collect_command(broker, password_file, url: str, client_id: str) -> subprocess.Popen:
    """`wallboard fleet collect` as its own process, in the test group."""
    command = [
        WALLBOARD, "fleet", "collect", "--db", url,
        "--broker", f"{broker.host}:{broker.port}", "--username", "admin", "--password-file", str(password_file),
        "--group", GROUP, "--client-id", client_id, "--gap-grace", "0.5", "--sweep-every", "2",
    ]  # fmt: skip
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_two_collectors_share_the_events_and_either_may_die(postgres_url, running, broker, tmp_path):
    password_file = tmp_path / "collector-password"
    password_file.write_text(broker.users["admin"])
    processes = {name: collect_command(broker, password_file, postgres_url, name) for name in ("east", "west")}
    try:
        for name in processes:
            wait_subscribed(broker, name)
        engine = open_fleet(postgres_url)
        people = running.add_people()
        busy_morning(running, people, moves=8)
        wait_until(lambda: all_collected(running, engine), what="every event collected")
        with Session(engine) as session:
            by = dict(session.execute(select(Event.stored_by, func.count()).group_by(Event.stored_by)).all())
        assert by.keys() == {"east", "west"}, by  # the broker split the events between them

        os.kill(processes["east"].pid, signal.SIGKILL)
        processes["east"].wait()
        shuffle(running, people, moves=8)
        wait_until(lambda: all_collected(running, engine), what="every event collected after a kill -9")
        assert stored_events(engine) == list(range(1, running.store.last_seq() + 1))
        with Session(engine) as session:
            assert fleet_says(session, "wall-1") == wall_says(running.service.snapshot())
        engine.dispose()
    finally:
        for process in processes.values():
            process.kill()
            _, errors = process.communicate()
            assert b"Traceback" not in errors, errors.decode()

"""Issue 14's end-to-end test: three walls, each behind its own bridged Mosquitto, a company
broker, the collector and a real PostgreSQL; every process a real one.

Each wall runs as `wallboard run --headless` on simulated readers, which the test moves
over `sim/reader` on the wall's own broker, as hands on the wall would. The company's
admin sets the walls up centrally, over the bridges. On the way: the company broker
goes away and comes back (the walls' events wait on their Pis), the collector is
killed with SIGKILL and started again, and one wall restarts. At the end every event
of every wall is in PostgreSQL exactly once, as the wall's own log has it.
"""

import itertools
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from board.app.config import load_config
from board.fleet.db import open_fleet
from board.fleet.models import Event
from store.repository import Store
from tests.app.test_cli import WALLBOARD
from tests.mqtt.clients import Admin, TestClient
from tests.mqtt.fleet import CENTRAL_USERS, BridgedWall, Company
from tests.mqtt.wall import DAAN, MO_BADGE, SANNE

pytestmark = pytest.mark.fleet

BOARDS = ["team-a", "team-b", "team-c"]
SLOTS = ["A1", "A2", "A3", "B1", "B2", "B3"]


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not within {timeout} s")
        time.sleep(0.2)


class SimulatedWall:
    """`wallboard run --headless` on simulated readers, the hands that move its cards, and its bridged broker."""

    def __init__(self, bridged: BridgedWall):
        self.bridged = bridged
        self.base = bridged.base
        self.log = open(bridged.directory / "wall.log", "a")  # noqa: SIM115 (closed in stop_for_good)
        self.hands = TestClient(bridged.broker, "admin").connect()
        self.where = {SANNE: "A1", DAAN: "A2"}
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        watcher = TestClient(self.bridged.broker, "admin").connect().subscribe(f"{self.base}/availability")
        try:
            self.process = subprocess.Popen(
                [WALLBOARD, "--config", str(self.bridged.config_path), "run", "--headless"],
                cwd=self.bridged.directory,
                stdin=subprocess.DEVNULL,
                stdout=self.log,
                stderr=self.log,
            )
            while watcher.wait_for(f"{self.base}/availability", 60).json() != {"state": "online"}:
                pass
        finally:
            watcher.close()

    def show(self, slot: str, *tags: str) -> None:
        self.hands.publish(f"{self.base}/sim/reader", {"reader": slot, "tags": list(tags)})

    def hang_everything(self) -> None:
        """What hangs where, told to fresh simulated readers (a started wall's readers see nothing yet)."""
        for slot in SLOTS:
            self.show(slot, *[card for card, at in self.where.items() if at == slot])

    def act(self, step: int) -> None:
        """Sanne's polaroid goes to the next free slot; every third step Mo confirms Daan's try."""
        if step % 3 == 2:
            self.show(self.where[DAAN], DAAN, MO_BADGE)
            time.sleep(0.1)
            self.show(self.where[DAAN], DAAN)
            return
        free = [slot for slot in SLOTS if slot not in self.where.values()]
        target = free[step % len(free)]
        self.show(self.where[SANNE])
        self.show(target, SANNE)
        self.where[SANNE] = target

    def health(self) -> dict:
        """The wall's `health` answer (its newest event, its outbox), asked on its own broker."""
        admin = Admin(self.bridged.broker, self.base).connect()
        try:
            return admin.request("health")["data"]
        finally:
            admin.close()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(30) == 0, (self.bridged.directory / "wall.log").read_text()[-3000:]

    def stop_for_good(self) -> None:
        if self.process and self.process.poll() is None:
            self.stop()
        self.hands.close()
        self.log.close()
        self.bridged.close()


class CollectorProcess:
    """`wallboard fleet collect` on the company broker (TLS) into PostgreSQL, with a client id it keeps."""

    def __init__(self, company: Company, db_url: str, directory: Path):
        password_file = directory / "collector-password"
        password_file.write_text(CENTRAL_USERS["collector"])
        self.command = [
            *(WALLBOARD, "fleet", "collect", "--db", db_url, "--broker", company.address),
            *("--username", "collector", "--password-file", str(password_file)),
            *("--ca-file", str(company.certificates.ca), "--client-id", "collector-1"),
            *("--gap-grace", "1", "--sweep-every", "5"),
        ]
        self.log = open(directory / "collector.log", "a")  # noqa: SIM115 (closed in close)
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def close(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(30)
        self.log.close()


def stored(engine, board_id: str) -> list[tuple[int, str]]:
    with Session(engine) as session:
        rows = session.execute(select(Event.seq, Event.type).where(Event.board_id == board_id).order_by(Event.seq))
        return [tuple(row) for row in rows]


def test_three_walls_events_are_in_postgresql_exactly_once_after_an_outage_a_killed_collector_and_a_restart(
    postgres_url, tmp_path
):
    company = Company(BOARDS)
    walls: list[SimulatedWall] = []
    collector = CollectorProcess(company, postgres_url, tmp_path)
    engine = open_fleet(
        postgres_url
    )  # the schema is there before the test reads it, however slowly the collector starts
    steps = itertools.count()

    def busy(rounds: int) -> None:
        for _ in range(rounds):
            step = next(steps)
            for wall in walls:
                wall.act(step)
            time.sleep(0.3)  # the wall records it before the next change

    try:
        for board_id in BOARDS:
            walls.append(SimulatedWall(BridgedWall(tmp_path / board_id, company, board_id).start()))
        for wall in walls:
            wall.start()
        collector.start()
        for wall in walls:  # the company's admin sets every wall up, over its bridge
            admin = Admin(company.broker, wall.base).connect()
            for name, card in (("Sanne", SANNE), ("Daan", DAAN)):
                person = admin.request("person/add", {"name": name}, timeout=30)["data"]["person"]
                assert admin.request("card/assign", {"person_id": person["id"], "uid": card})["status"] == "ok"
            assert admin.request("coach/add", {"name": "Mo", "uid": MO_BADGE})["status"] == "ok"
            admin.close()
            wall.hang_everything()

        def caught_up() -> bool:
            return all(len(stored(engine, wall.bridged.board_id)) >= wall.health()["last_event_seq"] for wall in walls)

        def in_postgresql() -> int:
            return sum(len(stored(engine, board_id)) for board_id in BOARDS)

        busy(3)
        wait_until(caught_up, timeout=60, what="the collector at work")

        company.broker.stop()  # the bridges and the collector lose the company broker
        before_outage = in_postgresql()
        busy(4)
        for wall in walls:  # what the walls recorded meanwhile has left them: it waits in their Pi's Mosquitto
            wait_until(lambda wall=wall: wall.health()["outbox_pending"] == 0, timeout=10, what="outbox empty")
        company.broker.start()

        busy(2)  # the bridges catch up while the walls go on
        wait_until(lambda: in_postgresql() > before_outage, timeout=30, what="the collector catching up")
        collector.kill()
        busy(4)
        collector.start()

        walls[1].stop()
        walls[1].start()
        walls[1].hang_everything()
        busy(4)
        wait_until(caught_up, timeout=60, what="every wall's events in PostgreSQL")

        for wall in walls:
            wall.stop()
        logs = {}
        for wall in walls:
            with Store(load_config(wall.bridged.config_path)) as store:
                logs[wall.bridged.board_id] = [(event.seq, event.type.value) for event in store.events_after(0)]
        wait_until(
            lambda: all(len(stored(engine, board_id)) >= len(log) for board_id, log in logs.items()),
            timeout=30,
            what="the events of the walls' stops in PostgreSQL",
        )
        for board_id, log in logs.items():
            assert log[-1][0] == len(log) > 20  # a busy wall, its log gap-free
            assert stored(engine, board_id) == log, board_id
    finally:
        collector.close()
        for wall in walls:
            wall.stop_for_good()
        engine.dispose()
        company.close()

"""A wall's Mosquitto bridged to a company broker (docs/fleet.md), on real brokers with the generated bridge section."""

import time
from pathlib import Path

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from board.app.config import load_config
from board.app.doctor import Host, Verdict, check_bridge
from board.dev.broker import Mosquitto
from tests.mqtt.clients import TestClient
from tests.mqtt.fleet import COMPANY_ACL, BridgedWall, Company
from tests.mqtt.wall import RunningWall, write_wall_config

pytestmark = pytest.mark.fleet  # brokers and bridges, no date in it: test-dates skips it


@pytest.fixture
def company():
    company = Company(["team-a", "team-b"])
    yield company
    company.close()


@pytest.fixture
def bridged(company, tmp_path):
    """bridged(board_id, folder) -> a wall's broker, bridged and started; all closed after the test."""
    walls: list[BridgedWall] = []

    def _bridged(board_id: str = "team-a", folder: str = "a") -> BridgedWall:
        walls.append(BridgedWall(tmp_path / folder, company, board_id).start())
        return walls[-1]

    yield _bridged
    for wall in walls:
        wall.close()


@pytest.fixture
def central(company):
    """central(user) -> a client of the company broker (collector, admin or a wall's user)."""
    clients: list[TestClient] = []

    def _central(user: str = "admin", **options) -> TestClient:
        clients.append(TestClient(company.broker, user, **options).connect())
        return clients[-1]

    yield _central
    for client in clients:
        client.close()


def wait_bridge_up(wall: BridgedWall, timeout: float = 15.0) -> None:
    """Mosquitto's notification on the wall's own broker says "1" once the bridge is connected."""
    watcher = TestClient(wall.broker, "admin").connect().subscribe(f"{wall.base}/bridge")
    try:
        while watcher.wait_for(f"{wall.base}/bridge", timeout).payload != b"1":
            pass
    finally:
        watcher.close()


def test_a_walls_events_state_and_answers_reach_the_company_and_an_admin_there_manages_the_wall(
    bridged, central, tmp_path
):
    wall = bridged("team-a")
    company_admin = central("admin").subscribe("wallboard/#")
    running = RunningWall(wall.config_path, wall.broker)
    try:
        person = running.ok("person/add", {"name": "Sanne"})["person"]
        added = company_admin.wait_for("wallboard/team-a/event/person_added", 15).json()
        assert added["person"] == {"id": person["id"], "name": "Sanne"}
        company_admin.publish("wallboard/team-a/request/people/list", {"transaction": "from-head-office"})
        answer = company_admin.wait_for("wallboard/team-a/response/people/list").json()
        assert answer["transaction"] == "from-head-office" and answer["data"]["people"][0]["name"] == "Sanne"
        # MQTT 5 request/response crosses too: the collector asks for missed events this way.
        properties = Properties(PacketTypes.PUBLISH)
        properties.ResponseTopic = "wallboard/team-a/response/head-office"
        properties.CorrelationData = b"gap-1"
        company_admin.publish("wallboard/team-a/request/events/get", {"since": 0}, properties=properties)
        reply = company_admin.wait_for("wallboard/team-a/response/head-office")
        assert reply.properties.CorrelationData == b"gap-1"
        assert [event["type"] for event in reply.json()["data"]["events"]][-1] == "person_added"
    finally:
        running.close()
    # What the company broker keeps for a dashboard that joins later: the board and whether it is online.
    late = central("collector").subscribe("wallboard/team-a/state", "wallboard/team-a/availability")
    retained = {message.topic: message for message in (late.next(), late.next())}
    assert retained["wallboard/team-a/availability"].json() == {"state": "offline"}  # the wall stopped
    assert retained["wallboard/team-a/state"].retain


def test_while_the_company_broker_is_away_the_walls_events_wait_on_the_pi_and_arrive_in_order_none_lost(
    company, bridged, central
):
    wall = bridged("team-a")
    wait_bridge_up(wall)
    collector = central("collector", persistent=True).subscribe("wallboard/team-a/event/#")
    running = RunningWall(wall.config_path, wall.broker)
    try:
        running.ok("person/add", {"name": "Sanne"})
        before = seqs_until(collector, running.store.last_seq())
        company.broker.stop()
        for number in range(40):
            running.ok("person/add", {"name": f"Collega {number}"})
        running.wait_until(lambda: running.store.outbox_size() == 0)  # all with the Pi's broker, none across yet
        company.broker.start()
        after = seqs_until(collector, running.store.last_seq())
    finally:
        running.close()
    # QoS 1: one that crossed just as the broker went may come again; dropping repeats by seq leaves the log.
    arrived = before + after
    assert arrived == sorted(arrived) and list(dict.fromkeys(arrived)) == list(range(1, arrived[-1] + 1))
    assert len(after) >= 40


def seqs_until(subscriber: TestClient, last_seq: int, timeout: float = 30.0) -> list[int]:
    """The seqs of the events that arrive, up to and including `last_seq`."""
    seqs: list[int] = []
    while not seqs or seqs[-1] < last_seq:
        seqs.append(subscriber.next(timeout).json()["seq"])
    return seqs


def test_the_company_acl_keeps_each_wall_under_its_own_board_id(central):
    team_b_events = central("collector").subscribe("wallboard/team-b/#")
    as_team_a = central("team-a")
    assert as_team_a.publish("wallboard/team-b/event/attempt_confirmed", {"seq": 1}).value == 135
    assert as_team_a.publish("wallboard/team-b/state", {"version": 1}, retain=True).value == 135
    assert as_team_a.publish("wallboard/team-b/claim", {"identity": "x"}, retain=True).value == 135
    assert team_b_events.nothing_within(0.3)
    # Its own base is open to it, and only the company's admins send walls requests.
    assert not as_team_a.publish("wallboard/team-a/event/attempt_confirmed", {"seq": 1}).is_failure
    assert as_team_a.publish("wallboard/team-a/request/period/close", {}).value == 135
    assert central("collector").publish("wallboard/team-a/request/period/close", {}).value == 135
    assert not central("collector").publish("wallboard/team-a/request/events/get", {"since": 0}).is_failure


def test_a_second_wall_with_the_same_board_id_is_refused_and_changes_nothing(company, bridged, tmp_path):
    first = bridged("team-a", "first")
    second = BridgedWall(tmp_path / "second", company, "team-a")
    before = second.config_path.read_text()
    refused = second.setup()
    assert refused.returncode != 0
    assert "board_id 'team-a' is already used on the company broker" in refused.stderr
    assert "--take-over" in refused.stderr
    assert second.config_path.read_text() == before and not second.bridge_conf.exists()
    # The first wall keeps its id; setting it up again (an upgrade) is no conflict.
    assert first.setup().returncode == 0
    second.close()


def test_a_wrong_password_or_a_bad_address_is_refused_with_the_reason_and_changes_nothing(company, tmp_path):
    wall = BridgedWall(tmp_path / "wall", company, "team-a")
    before = wall.config_path.read_text()
    wrong = wall.setup(password="not-the-password")
    assert wrong.returncode != 0 and "as team-a: Not authorized" in wrong.stderr
    bad_port = wall.setup("--company-broker", "broker.example.com:eighty")  # the later option wins
    assert bad_port.returncode != 0 and "--company-broker broker.example.com:eighty" in bad_port.stderr
    assert wall.config_path.read_text() == before and not wall.bridge_conf.exists()
    wall.close()


def test_the_doctor_says_the_bridge_is_up_down_or_the_board_id_taken_by_another_wall(company, bridged, tmp_path):
    wall = bridged("team-a")
    wait_bridge_up(wall)
    config = load_config(wall.config_path)
    [up] = check_bridge(config, Host())
    assert up.verdict is Verdict.OK and company.address in up.detail
    company.broker.stop()
    [down] = check_bridge(config, Host())
    assert down.verdict is Verdict.FAIL and "is weg" in down.detail  # the wall speaks Dutch
    company.broker.start()
    wait_bridge_up(wall)
    # A replacement wall takes the id over: the old one hears it over its bridge and the doctor says so.
    replacement = BridgedWall(tmp_path / "replacement", company, "team-a")
    assert replacement.setup("--take-over").returncode == 0
    replacement.close()
    deadline = time.monotonic() + 10
    while len(findings := list(check_bridge(config, Host()))) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert findings[1].verdict is Verdict.FAIL and "van een andere muur" in findings[1].detail


def test_without_a_bridge_the_doctor_says_nothing_about_one(tmp_path):
    with Mosquitto() as broker:
        assert list(check_bridge(load_config(write_wall_config(tmp_path, broker)), Host())) == []


def test_docs_fleet_shows_the_company_acl_the_tests_run():
    def rules(text: str) -> list[str]:
        return [line for line in text.splitlines() if line.startswith(("pattern ", "topic ", "user "))]

    docs = (Path(__file__).parents[2] / "docs" / "fleet.md").read_text()
    section = docs[docs.index("## The company broker's ACL") :]
    shown = section[section.index("```") : section.index("```", section.index("```") + 3)]
    assert rules(shown) == rules(COMPANY_ACL.read_text())

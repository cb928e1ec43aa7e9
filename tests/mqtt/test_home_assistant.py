"""The wall in a real Home Assistant: every entity's state and attributes after a scripted scenario.

Run with `make test-homeassistant`, which puts a pinned Home Assistant in .venv-ha (it
needs Python 3.13). One Home Assistant, one broker and one wall serve the whole module;
the tests run in file order and each one checks Home Assistant against the wall as it
is then. The last one reads Home Assistant's log: the MQTT integration warned of nothing.
"""

from datetime import datetime

import pytest

from board.dev.broker import Mosquitto
from board.mqtt.discovery import HomeAssistantDevice
from tests.mqtt import home_assistant as ha
from tests.mqtt.clients import TestClient
from tests.mqtt.wall import DAAN, SANNE, RunningWall, write_wall_config

pytestmark = pytest.mark.homeassistant

if not ha.installed():
    pytest.skip(
        f"no Home Assistant in {ha.VENV}: `make test-homeassistant` installs it (it needs Python 3.13)",
        allow_module_level=True,
    )

DEVICE = "device_id('sensor.wallboard_wall_goal')"  # any entity of the wall leads templates to the device


@pytest.fixture(scope="module")
def broker():
    with Mosquitto() as running:
        yield running


# What the version before device-based discovery left retained for a wall "wall" (one of its five sensors).
EARLIER_SENSOR_TOPIC = "homeassistant/sensor/wallboard_wall/attempts/config"
EARLIER_SENSOR = {
    "name": "Attempts this period",
    "unique_id": "wallboard_wall_attempts",
    "object_id": "wallboard_wall_attempts",
    "state_topic": "wallboard/wall/state",
    "value_template": "{{ value_json.period.count if value_json.period else 0 }}",
    "availability": [{"topic": "wallboard/wall/availability", "value_template": "{{ value_json.state }}"}],
    "device": {
        "identifiers": ["wallboard_wall"],
        "name": "Polaroid Wall wall",
        "manufacturer": "Polaroid Wall",
        "model": "Raspberry Pi wall",
        "sw_version": "0.1.0",
    },
    "qos": 1,
    "state_class": "measurement",
    "icon": "mdi:hand-okay",
}


@pytest.fixture(scope="module")
def home(broker, tmp_path_factory):
    """A Home Assistant that knew this wall from an earlier version of it."""
    earlier_wall = TestClient(broker, "wallboard").connect()
    earlier_wall.publish(EARLIER_SENSOR_TOPIC, EARLIER_SENSOR, retain=True)
    earlier_wall.close()
    home = ha.HomeAssistant(tmp_path_factory.mktemp("home-assistant"), "Europe/Amsterdam").start()
    try:
        home.add_mqtt(broker)
        home.wait_until(lambda: "sensor.wallboard_wall_attempts" in home.states(), 60, "the earlier sensor")
        yield home
    finally:
        home.stop()


@pytest.fixture(scope="module")
def log_from(home) -> int:
    """Where Home Assistant's log stood when this version of the wall started.

    What it said of the earlier version's config (newer releases warn of its `object_id`)
    is not this version's doing.
    """
    return home.log_mark()


@pytest.fixture(scope="module")
def wall(broker, home, log_from, tmp_path_factory):
    directory = tmp_path_factory.mktemp("wall")
    config_path = write_wall_config(directory, broker)
    config_path.write_text(config_path.read_text().replace('board_id = "wall-1"', 'board_id = "wall"'))
    running = RunningWall(config_path, broker)
    running.people = running.add_people()
    yield running
    running.close()


def entity_ids(wall: RunningWall) -> dict[str, str]:
    """Component key -> the entity id Home Assistant gives it."""
    components = HomeAssistantDevice(wall.config, wall.config.mqtt).payload()["components"]
    return {
        key: component["default_entity_id"] for key, component in components.items() if "default_entity_id" in component
    }


def snapshot(wall: RunningWall) -> dict:
    return wall.ok("state/get")["state"]


def moment(text: str) -> datetime:
    """A time as Home Assistant shows a timestamp sensor: to the second."""
    return datetime.fromisoformat(text).replace(microsecond=0)


def test_the_wall_is_one_device_whose_entities_all_appear_available_and_named_once_also_after_an_upgrade(home, wall):
    expected = entity_ids(wall)
    home.wait_until(
        lambda: all(
            home.states().get(entity, {}).get("state") not in (None, "unavailable") for entity in expected.values()
        ),
        60,
        "every entity of the wall available",
    )
    states = home.states()
    for key, entity in expected.items():
        name = HomeAssistantDevice(wall.config, wall.config.mqtt).payload()["components"][key]["name"]
        assert states[entity]["attributes"]["friendly_name"] == f"Polaroid Wall {name}"
    assert home.template("{{ device_attr(" + DEVICE + ", 'name') }}") == "Polaroid Wall"
    assert home.template("{{ device_attr(" + DEVICE + ", 'manufacturer') }}") == "Polaroid Wall"
    assert home.template("{{ device_entities(" + DEVICE + ") | count }}") == str(len(expected))
    assert not [entity for entity in states if entity.startswith("sensor.wallboard_wall_attempts_")]  # no "_2"


def test_sensors_follow_cards_moving_up_and_attempts_confirmed_and_voided(home, wall):
    people = wall.people
    wall.readers["A1"].set_tags([SANNE])
    wall.readers["A2"].set_tags([DAAN])
    wall.wait_until(lambda: snapshot(wall)["people_on_wall"] == 2)
    wall.readers["A1"].set_tags([])
    wall.readers["B1"].set_tags([SANNE])  # Sanne moves up a level
    wall.wait_until(lambda: snapshot(wall)["last_move_up"] is not None)
    attempt = wall.ok("attempt/add", {"person_id": people["Daan"], "coach_id": 1, "reason": "on the floor"})["attempt"]
    state = snapshot(wall)
    period = state["period"]
    home.wait_until(lambda: home.state("sensor.wallboard_wall_attempts")["state"] == "1", what="one attempt")

    attempts = home.state("sensor.wallboard_wall_attempts")
    assert attempts["attributes"]["state_class"] == "total"
    assert moment(attempts["attributes"]["last_reset"]) == moment(period["starts_at"])
    assert home.state("sensor.wallboard_wall_goal")["state"] == str(period["goal"])
    assert float(home.state("sensor.wallboard_wall_percentage")["state"]) == period["percent"]
    assert home.state("sensor.wallboard_wall_people_on_wall")["state"] == "2"
    start, top = home.state("sensor.wallboard_wall_level_a"), home.state("sensor.wallboard_wall_level_b")
    assert (start["state"], start["attributes"]["people"]) == ("1", ["Daan"])
    assert (top["state"], top["attributes"]["people"]) == ("1", ["Sanne"])
    last = home.state("sensor.wallboard_wall_last_attempt")
    assert moment(last["state"]) == moment(attempt["at"])
    assert {key: last["attributes"][key] for key in ("person", "coach", "attempt_id")} == {
        "person": "Daan",
        "coach": "Mo",
        "attempt_id": attempt["id"],
    }
    up = home.state("sensor.wallboard_wall_last_move_up")
    assert moment(up["state"]) == moment(state["last_move_up"]["at"]) and up["attributes"]["person"] == "Sanne"
    event = home.state("event.wallboard_wall_events")
    assert event["attributes"]["event_type"] == "attempt_confirmed"
    assert (event["attributes"]["person"], event["attributes"]["coach"]) == ("Daan", "Mo")

    wall.ok("attempt/void", {"id": attempt["id"], "reason": "entered twice"})
    home.wait_until(lambda: home.state("sensor.wallboard_wall_attempts")["state"] == "0", what="the void counted")
    last = home.state("sensor.wallboard_wall_last_attempt")
    assert last["state"] == "unknown"
    assert not {"person", "coach", "attempt_id"} & set(last["attributes"])  # cleared, not the voided attempt's


def test_home_assistant_sets_the_goal_and_puts_a_message_on_the_screen(home, wall):
    home.call("number", "set_value", entity_id="number.wallboard_wall_goal_setting", value=2)
    wall.wait_until(lambda: snapshot(wall)["period"]["goal"] == 2)
    home.wait_until(lambda: home.state("sensor.wallboard_wall_goal")["state"] == "2", what="the new goal")
    assert float(home.state("number.wallboard_wall_goal_setting")["state"]) == 2

    home.call("text", "set_value", entity_id="text.wallboard_wall_message", value="Koffie staat klaar!")
    wall.wait_until(lambda: snapshot(wall)["message"] == "Koffie staat klaar!")
    home.wait_until(
        lambda: home.state("text.wallboard_wall_message")["state"] == "Koffie staat klaar!", what="the message shown"
    )


def test_reaching_the_goal_is_an_event_and_a_device_trigger(home, wall):
    device_id = home.template("{{ " + DEVICE + " }}")
    triggers = home.websocket({"type": "device_automation/trigger/list", "device_id": device_id})
    assert {(trigger["type"], trigger["subtype"]) for trigger in triggers if trigger["domain"] == "mqtt"} == {
        ("goal_reached", "thermometer")
    }
    wall.ok("goal/set", {"goal": snapshot(wall)["period"]["count"] + 2})
    goal = snapshot(wall)["period"]["goal"]
    for person in ("Sanne", "Daan"):  # two more attempts reach it
        wall.ok("attempt/add", {"person_id": wall.people[person], "reason": "scripted"})
    home.wait_until(
        lambda: home.state("event.wallboard_wall_events")["attributes"]["event_type"] == "goal_reached",
        what="goal_reached",
    )
    event = home.state("event.wallboard_wall_events")["attributes"]
    assert (event["goal"], event["count"]) == (goal, goal)
    assert float(home.state("sensor.wallboard_wall_percentage")["state"]) == 100.0


def test_a_failing_reader_shows_disconnected_and_is_counted_until_it_recovers(home, wall):
    wall.readers["A3"].set_fault("no answer")
    home.wait_until(
        lambda: home.state("binary_sensor.wallboard_wall_reader_a3")["state"] == "off", what="reader A3 disconnected"
    )
    offline = home.state("sensor.wallboard_wall_readers_offline")
    assert (offline["state"], offline["attributes"]["readers"]) == ("1", ["A3"])
    assert home.state("binary_sensor.wallboard_wall_reader_a1")["state"] == "on"
    wall.readers["A3"].set_fault(None)
    home.wait_until(
        lambda: home.state("binary_sensor.wallboard_wall_reader_a3")["state"] == "on", what="reader A3 back"
    )
    assert home.state("sensor.wallboard_wall_readers_offline")["state"] == "0"


def test_closing_a_period_shows_its_awards_as_events_and_the_button_shows_the_harvest(home, wall):
    awards = wall.ok("period/close")["awards"]
    assert awards  # the attempts and the move up of this period earn some
    home.wait_until(
        lambda: home.state("event.wallboard_wall_events")["attributes"]["event_type"] == "award_given",
        what="award_given",
    )
    event = home.state("event.wallboard_wall_events")["attributes"]
    assert event["award"] == awards[-1]["award"] and event["title"] == awards[-1]["title"]

    home.call("button", "press", entity_id="button.wallboard_wall_harvest")
    wall.wait_until(
        lambda: any(e["type"] == "harvest_shown" for e in wall.ok("events/get", {"since": 0, "limit": 1000})["events"])
    )


def test_when_home_assistant_comes_back_online_the_wall_announces_itself_again(home, wall, broker):
    home_assistant = TestClient(broker, "homeassistant").connect()
    try:
        listener = home_assistant.subscribe("homeassistant/device/#")
        listener.wait_for("homeassistant/device/wallboard_wall/config")  # the retained one
        home_assistant.publish("homeassistant/status", b"online", raw=True)
        assert listener.wait_for("homeassistant/device/wallboard_wall/config").json()["components"]
    finally:
        home_assistant.close()
    expected = entity_ids(wall)
    home.wait_until(
        lambda: all(home.state(entity)["state"] != "unavailable" for entity in expected.values()),
        what="every entity still there",
    )


def test_every_entity_is_unavailable_once_the_wall_has_gone(home, wall):
    wall.mqtt.stop()
    home.wait_until(
        lambda: all(home.state(entity)["state"] == "unavailable" for entity in entity_ids(wall).values()),
        what="every entity unavailable",
    )


def test_neither_the_mqtt_integration_nor_a_template_of_the_wall_warned_of_anything(home, wall, log_from):
    assert home.mqtt_log_problems(since=log_from) == []

"""What the wall tells Home Assistant about itself: one device, entities named and identified the way HA wants."""

import re

import pytest
from pydantic import ValidationError

from board.mqtt.config import MqttConfig
from tests.mqtt.wall import home_assistant_device

ENTITY_ID = re.compile(r"^[a-z_]+\.[a-z0-9_]+$")


def test_a_wall_with_the_default_id_is_plain_polaroid_wall_and_no_entity_name_repeats_a_word_of_it():
    payload = home_assistant_device(MqttConfig(), board_id="wall").payload()
    assert payload["device"]["name"] == "Polaroid Wall"
    for component in payload["components"].values():
        if "name" in component:
            words = f"Polaroid Wall {component['name']}".lower().split()  # as Home Assistant shows it
            assert all(first != second for first, second in zip(words, words[1:])), component["name"]


def test_another_wall_is_told_apart_by_its_board_id():
    device = home_assistant_device(MqttConfig(), board_id="floor-2")
    assert device.payload()["device"]["name"] == "Polaroid Wall floor-2"


def test_every_entity_has_a_unique_id_and_an_entity_id_home_assistant_accepts_old_and_new_style():
    components = home_assistant_device(MqttConfig()).payload()["components"]
    entities = {key: component for key, component in components.items() if component["platform"] != "device_automation"}
    unique_ids = [entity["unique_id"] for entity in entities.values()]
    assert len(set(unique_ids)) == len(unique_ids)
    for entity in entities.values():
        assert ENTITY_ID.match(entity["default_entity_id"]), entity["default_entity_id"]
        assert entity["default_entity_id"] == f"{entity['platform']}.{entity['object_id']}"


def test_each_reader_has_a_diagnostic_connectivity_sensor_and_each_level_a_head_count():
    components = home_assistant_device(MqttConfig()).payload()["components"]
    readers = {key: c for key, c in components.items() if c["platform"] == "binary_sensor"}
    assert set(readers) == {"reader_A1", "reader_A2", "reader_B1", "reader_pad"}
    assert all(c["device_class"] == "connectivity" and c["entity_category"] == "diagnostic" for c in readers.values())
    assert components["level_A"]["name"] == "Mensen op Start" and components["level_B"]["name"] == "Mensen op Top"


def test_entity_names_are_in_the_walls_language():
    dutch = home_assistant_device(MqttConfig()).payload()["components"]
    english = home_assistant_device(MqttConfig(), language="en").payload()["components"]
    assert (dutch["attempts"]["name"], english["attempts"]["name"]) == ("Pogingen deze periode", "Attempts this period")
    assert (dutch["reader_pad"]["name"], english["reader_pad"]["name"]) == ("Lezer van de coachpad", "Coach pad reader")


def test_the_text_and_number_entities_send_the_documented_requests():
    device = home_assistant_device(MqttConfig())
    components = device.payload()["components"]
    assert components["message"]["command_topic"] == "wallboard/wall-1/request/display/message"
    assert components["goal_setting"]["command_topic"] == "wallboard/wall-1/request/goal/set"
    assert components["harvest"]["command_topic"] == "wallboard/wall-1/request/display/harvest"
    assert components["goal_reached"] == {
        "platform": "device_automation",
        "automation_type": "trigger",
        "topic": "wallboard/wall-1/event/goal_reached",
        "type": "goal_reached",
        "subtype": "thermometer",
        "qos": 1,
    }


def test_the_configuration_url_is_sent_only_when_configured_and_must_be_a_web_address():
    assert "configuration_url" not in home_assistant_device(MqttConfig()).payload()["device"]
    linked = MqttConfig(discovery_configuration_url="https://walls.example.com/wall-1")
    assert home_assistant_device(linked).payload()["device"]["configuration_url"] == "https://walls.example.com/wall-1"
    with pytest.raises(ValidationError, match="discovery_configuration_url"):
        MqttConfig(discovery_configuration_url="javascript:alert(1)")

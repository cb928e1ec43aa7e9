"""Home Assistant MQTT discovery: the wall as one device with a few sensors.

Every sensor reads the retained `state` topic through a value template, so the
wall publishes nothing extra for Home Assistant beyond these retained configs.
"""

import re
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from board.mqtt.config import MqttConfig

# key -> (name, value template, extra config)
_SENSORS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "attempts": ("Attempts this period", "{{ value_json.period.count if value_json.period else 0 }}",
                 {"state_class": "measurement", "icon": "mdi:hand-okay"}),
    "goal": ("Goal", "{{ value_json.period.goal if value_json.period else 0 }}",
             {"icon": "mdi:flag-checkered"}),
    "percentage": ("Goal reached", "{{ value_json.period.percent if value_json.period else 0 }}",
                   {"unit_of_measurement": "%", "state_class": "measurement", "icon": "mdi:thermometer"}),
    "people_on_wall": ("People on the wall", "{{ value_json.people_on_wall }}",
                       {"state_class": "measurement", "icon": "mdi:account-group"}),
    "last_attempt": ("Last attempt", "{{ value_json.last_attempt.at if value_json.last_attempt else None }}",
                     {"device_class": "timestamp", "json_attributes_template": "{{ value_json.last_attempt | tojson }}"}),
}


def software_version() -> str:
    """The installed package's version; "unknown" when run from a tree never installed."""
    try:
        return version("polaroid-wall")
    except PackageNotFoundError:
        return "unknown"


def _node_id(board_id: str) -> str:
    return "wallboard_" + re.sub(r"[^A-Za-z0-9_-]", "_", board_id)


def discovery_topics(config: MqttConfig, board_id: str) -> list[str]:
    node = _node_id(board_id)
    return [f"{config.discovery_prefix}/sensor/{node}/{key}/config" for key in _SENSORS]


def discovery_configs(config: MqttConfig, board_id: str) -> dict[str, dict[str, Any]]:
    """Retained config per discovery topic."""
    base = config.topic_base(board_id)
    node = _node_id(board_id)
    device = {"identifiers": [node], "name": f"Polaroid Wall {board_id}", "manufacturer": "Polaroid Wall",
              "model": "Raspberry Pi wall", "sw_version": software_version()}
    configs = {}
    for topic, (key, (name, template, extra)) in zip(discovery_topics(config, board_id), _SENSORS.items()):
        sensor = {
            "name": name,
            "unique_id": f"{node}_{key}",
            "object_id": f"{node}_{key}",
            "state_topic": f"{base}/state",
            "value_template": template,
            "availability": [{"topic": f"{base}/availability", "value_template": "{{ value_json.state }}"}],
            "device": device,
            "qos": 1,
            **extra,
        }
        if "json_attributes_template" in sensor:
            sensor["json_attributes_topic"] = f"{base}/state"
        configs[topic] = sensor
    return configs


def status_topic(config: MqttConfig) -> str:
    """Home Assistant says `online` here when it (re)starts: time to send configs again."""
    return f"{config.discovery_prefix}/status"

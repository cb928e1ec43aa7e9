"""Home Assistant MQTT discovery: the wall as one device, announced in one retained config.

Device-based discovery (Home Assistant 2024.11 and later): `<prefix>/device/<node>/config`
carries the device, an `origin` and every entity. They all read the wall's own retained
`state` and `availability` topics through templates, so the wall publishes nothing
extra for Home Assistant; only the event entity and the "goal reached" trigger listen
to `event/<type>`, and the text and number entities send the documented requests
`display/message` and `goal/set`.
"""

import json
import re
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from board.core.i18n import Texts
from board.core.settings import PAD, WallSettings
from board.mqtt.config import MqttConfig

PRODUCT = "Polaroid Wall"
DEFAULT_BOARD_ID = WallSettings.model_fields["board_id"].default
# What the event entity reports, and which wall events it takes them from.
WALL_EVENT_TYPES = ("attempt_confirmed", "moved_up", "goal_reached", "award_given")
# `display/message` allows up to 200 characters, shown this long.
MESSAGE_MAX = 200
MESSAGE_SECONDS = 60
HARVEST_SECONDS = 600  # the last period's harvest, shown by the button
GOAL_MAX = 1_000_000


def software_version() -> str:
    """The installed package's version; "unknown" when run from a tree never installed."""
    try:
        return version("polaroid-wall")
    except PackageNotFoundError:
        return "unknown"


def _node_id(board_id: str) -> str:
    return "wallboard_" + re.sub(r"[^A-Za-z0-9_-]", "_", board_id)


def _object_id(board_id: str, key: str) -> str:
    """The entity id Home Assistant gives on first discovery: lower case, digits and `_` only."""
    return re.sub(r"[^a-z0-9_]", "_", f"{_node_id(board_id)}_{key}".lower())


def status_topic(config: MqttConfig) -> str:
    """Home Assistant says `online` here when it (re)starts: time to send configs again."""
    return f"{config.discovery_prefix}/status"


def _jinja(expression: str) -> str:
    """A template that renders `expression` (its braces kept out of f-strings)."""
    return "{{ " + expression + " }}"


def _of_period(field: str) -> str:
    """Template: a field of the current period; None (unknown in Home Assistant) without one."""
    return _jinja(f"value_json.period.{field} if value_json.period else None")


def _on_level(level_id: str) -> str:
    """Template: the slots of one level that have someone in them."""
    return (
        f"(value_json.levels | selectattr('id', 'eq', {json.dumps(level_id)}) | map(attribute='slots') "
        "| first | selectattr('person') | list)"
    )


# The event entity's template: the wall events Home Assistant users watch for, as
# {"event_type": ..., attributes}; anything else renders empty, which Home Assistant ignores.
_EVENT_TEMPLATE = (
    "{%- set e = value_json -%}"
    "{%- if e.type == 'attempt_confirmed' -%}"
    "{{ {'event_type': 'attempt_confirmed', 'seq': e.seq, 'person': e.person.name,"
    " 'coach': (e.get('coach') or {}).get('name')} | tojson }}"
    "{%- elif e.type in ('card_placed', 'card_moved') and e.get('level_change', 0) > 0 -%}"
    "{{ {'event_type': 'moved_up', 'seq': e.seq, 'person': e.person.name, 'slot': e.slot} | tojson }}"
    "{%- elif e.type == 'goal_reached' -%}"
    "{{ {'event_type': 'goal_reached', 'seq': e.seq, 'goal': e.goal, 'count': e.count} | tojson }}"
    "{%- elif e.type == 'award_given' -%}"
    "{{ {'event_type': 'award_given', 'seq': e.seq, 'award': e.award, 'title': e.title,"
    " 'winners': e.winners | map(attribute='name') | list} | tojson }}"
    "{%- endif -%}"
)


class HomeAssistantDevice:
    """The wall's discovery config, and where it goes."""

    def __init__(self, wall: WallSettings, mqtt: MqttConfig):
        self.wall = wall
        self.mqtt = mqtt
        self.board_id = wall.board_id
        self.node = _node_id(wall.board_id)
        self.base = mqtt.topic_base(wall.board_id)
        self.texts = Texts(wall.language)  # entity names, in the wall's language

    @property
    def topic(self) -> str:
        return f"{self.mqtt.discovery_prefix}/device/{self.node}/config"

    @property
    def earlier_configs(self) -> str:
        """Where versions before the device config announced their sensors one by one."""
        return f"{self.mqtt.discovery_prefix}/sensor/{self.node}/+/config"

    @property
    def name(self) -> str:
        """ "Polaroid Wall", plus the board id when it says something; entity names follow it."""
        return PRODUCT if self.board_id == DEFAULT_BOARD_ID else f"{PRODUCT} {self.board_id}"

    def payload(self) -> dict[str, Any]:
        device: dict[str, Any] = {
            "identifiers": [self.node],
            "name": self.name,
            "manufacturer": PRODUCT,
            "model": "Raspberry Pi wall",
            "sw_version": software_version(),
        }
        if self.mqtt.discovery_configuration_url:
            device["configuration_url"] = self.mqtt.discovery_configuration_url
        return {
            "device": device,
            "origin": {"name": PRODUCT, "sw_version": software_version()},
            "state_topic": f"{self.base}/state",
            "availability": [{"topic": f"{self.base}/availability", "value_template": "{{ value_json.state }}"}],
            "components": self.components(),
        }

    def components(self) -> dict[str, dict[str, Any]]:
        components = {
            "attempts": self._entity(
                "sensor",
                "attempts",
                self.texts("ha.attempts"),
                _of_period("count"),
                state_class="total",
                icon="mdi:hand-okay",
                last_reset_value_template=_of_period("starts_at"),
            ),
            "goal": self._entity(
                "sensor",
                "goal",
                self.texts("ha.goal"),
                _of_period("goal"),
                state_class="measurement",
                icon="mdi:flag-checkered",
            ),
            "percentage": self._entity(
                "sensor",
                "percentage",
                self.texts("ha.percentage"),
                _of_period("percent"),
                unit_of_measurement="%",
                state_class="measurement",
                icon="mdi:thermometer",
            ),
            "people_on_wall": self._entity(
                "sensor",
                "people_on_wall",
                self.texts("ha.people_on_wall"),
                "{{ value_json.people_on_wall }}",
                state_class="measurement",
                icon="mdi:account-group",
            ),
            "last_attempt": self._entity(
                "sensor",
                "last_attempt",
                self.texts("ha.last_attempt"),
                "{{ value_json.last_attempt.at if value_json.last_attempt else None }}",
                device_class="timestamp",
                icon="mdi:hand-okay",
                json_attributes_topic=f"{self.base}/state",
                json_attributes_template="{{ ({'person': value_json.last_attempt.person, "
                "'coach': value_json.last_attempt.coach, 'attempt_id': value_json.last_attempt.id} "
                "if value_json.last_attempt else {}) | tojson }}",
            ),
            "last_move_up": self._entity(
                "sensor",
                "last_move_up",
                self.texts("ha.last_move_up"),
                "{{ value_json.last_move_up.at if value_json.last_move_up else None }}",
                device_class="timestamp",
                icon="mdi:arrow-up-bold",
                json_attributes_topic=f"{self.base}/state",
                json_attributes_template="{{ ({'person': value_json.last_move_up.person, "
                "'moved_up_this_period': value_json.moved_up} if value_json.last_move_up else {}) | tojson }}",
            ),
            "readers_offline": self._entity(
                "sensor",
                "readers_offline",
                self.texts("ha.readers_offline"),
                "{{ value_json.offline_readers | count }}",
                state_class="measurement",
                icon="mdi:nfc-search-variant",
                entity_category="diagnostic",
                json_attributes_topic=f"{self.base}/state",
                json_attributes_template="{{ {'readers': value_json.offline_readers} | tojson }}",
            ),
            "events": self._entity(
                "event",
                "events",
                self.texts("ha.events"),
                _EVENT_TEMPLATE,
                state_topic=f"{self.base}/event/+",
                event_types=list(WALL_EVENT_TYPES),
                icon="mdi:bullhorn",
            ),
            "message": self._entity(
                "text",
                "message",
                self.texts("ha.message"),
                "{{ value_json.message or '' }}",
                command_topic=f"{self.base}/request/display/message",
                command_template=_jinja("{'text': value, 'seconds': " + str(MESSAGE_SECONDS) + "} | tojson"),
                min=0,
                max=MESSAGE_MAX,
                icon="mdi:message-text",
            ),
            "goal_setting": self._entity(
                "number",
                "goal_setting",
                self.texts("ha.goal_setting"),
                _of_period("goal"),
                command_topic=f"{self.base}/request/goal/set",
                command_template="{{ {'goal': value | int, 'period': 'current'} | tojson }}",
                min=0,
                max=GOAL_MAX,
                step=1,
                mode="box",
                icon="mdi:flag-checkered",
                entity_category="config",
            ),
            "harvest": self._entity(
                "button",
                "harvest",
                self.texts("ha.harvest"),
                None,
                command_topic=f"{self.base}/request/display/harvest",
                payload_press=json.dumps({"period": "last", "seconds": HARVEST_SECONDS}),
                icon="mdi:sprout",
            ),
            "goal_reached": {
                "platform": "device_automation",
                "automation_type": "trigger",
                "topic": f"{self.base}/event/goal_reached",
                "type": "goal_reached",
                "subtype": "thermometer",
                "qos": 1,
            },
        }
        for level in self.wall.levels:
            key = f"level_{level.id}"
            components[key] = self._entity(
                "sensor",
                key,
                self.texts("ha.level", level=level.name),
                _jinja(_on_level(level.id) + " | count"),
                state_class="measurement",
                icon="mdi:stairs",
                json_attributes_topic=f"{self.base}/state",
                json_attributes_template=_jinja(
                    "{'people': " + _on_level(level.id) + " | map(attribute='person.name') | list} | tojson"
                ),
            )
        for reader in self.wall.reader_ids:
            key = f"reader_{reader}"
            name = self.texts("ha.pad_reader") if reader == PAD else self.texts("ha.reader", reader=reader)
            components[key] = self._entity(
                "binary_sensor",
                key,
                name,
                _jinja(f"'OFF' if {json.dumps(reader)} in value_json.offline_readers else 'ON'"),
                device_class="connectivity",
                entity_category="diagnostic",
            )
        return components

    def _entity(self, platform: str, key: str, name: str, value_template: str | None, **options: Any) -> dict[str, Any]:
        object_id = _object_id(self.board_id, key)
        entity = {
            "platform": platform,
            "name": name,
            "unique_id": f"{self.node}_{key}",
            # default_entity_id from Home Assistant 2025.10; object_id for older versions.
            "default_entity_id": f"{platform}.{object_id}",
            "object_id": object_id,
            "qos": 1,
            **options,
        }
        if value_template is not None:  # a button shows no state
            entity["value_template"] = value_template
        return entity

"""The wall's MQTT client id: another broker user connecting with a guessed id must not kick the wall off."""

import re

from board.mqtt.config import MqttConfig


def test_the_default_client_id_names_the_board_and_cannot_be_guessed():
    config = MqttConfig(enabled=True)
    first, second = config.effective_client_id("hal"), config.effective_client_id("hal")
    assert re.fullmatch(r"wallboard-hal-[0-9a-f]{16}", first)
    assert first != second  # a new one at every start: nobody can know it in advance


def test_a_configured_client_id_is_used_as_it_is():
    assert MqttConfig(client_id="wall-in-the-hall").effective_client_id("hal") == "wall-in-the-hall"

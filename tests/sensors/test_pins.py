"""One pin factory for readers and LEDs: asked for, lgpio on a Pi, mock pins only when asked or said."""

import logging

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from board.core.errors import ConfigError
from sensors.pins import board_model, choose_pin_factory


def model_file(tmp_path, text):
    path = tmp_path / "model"
    path.write_bytes(text.encode() + b"\x00")
    return path


def test_off_a_pi_mock_pins_are_used_and_the_log_says_not_a_raspberry_pi(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="sensors.pins"):
        factory = choose_pin_factory({}, model_file(tmp_path, "QEMU Virtual Machine"))
    assert isinstance(factory, MockFactory) and factory.pin_class is MockPWMPin
    assert "not a Raspberry Pi (QEMU Virtual Machine)" in caplog.text


def test_without_a_device_tree_the_log_names_the_missing_file(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="sensors.pins"):
        choose_pin_factory({}, tmp_path / "no-model")
    assert f"not a Raspberry Pi (no {tmp_path / 'no-model'})" in caplog.text


def test_mock_pins_asked_for_on_a_pi_are_given_and_can_dim(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="sensors.pins"):
        factory = choose_pin_factory({"GPIOZERO_PIN_FACTORY": "mock"}, model_file(tmp_path, "Raspberry Pi 5 Model B"))
    assert factory.pin_class is MockPWMPin
    assert "as GPIOZERO_PIN_FACTORY=mock asks" in caplog.text


def test_a_pi_gets_lgpio_and_a_missing_lgpio_is_a_config_error_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "lgpio", None)  # as on a Pi where lgpio was never built
    monkeypatch.delitem(__import__("sys").modules, "gpiozero.pins.lgpio", raising=False)
    with pytest.raises(ConfigError, match="cannot use lgpio on a Raspberry Pi 5 Model B Rev 1.0.*deploy/install.sh"):
        choose_pin_factory({}, model_file(tmp_path, "Raspberry Pi 5 Model B Rev 1.0"))


def test_a_factory_named_in_the_environment_that_cannot_load_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="GPIOZERO_PIN_FACTORY=no-such-factory"):
        choose_pin_factory({"GPIOZERO_PIN_FACTORY": "no-such-factory"}, model_file(tmp_path, "Raspberry Pi 4"))


def test_the_board_model_drops_the_device_trees_trailing_nul(tmp_path):
    assert board_model(model_file(tmp_path, "Raspberry Pi Zero 2 W Rev 1.0")) == "Raspberry Pi Zero 2 W Rev 1.0"

"""The doctor's broker line, against a real Mosquitto: the configured credentials, not just the port."""

from pathlib import Path

from board.app.config import parse_config
from board.app.doctor import Host, Verdict, check_broker
from board.dev.broker import free_port

WALL = """
language = "en"
[[levels]]
id = "A"
name = "Start"
slots = ["A1"]
"""


def wall_config(tmp_path, mqtt, language="en"):
    text = WALL.replace('language = "en"', f'language = "{language}"')
    return parse_config(text, tmp_path / "wallboard.toml").model_copy(update={"mqtt": mqtt})


def only(findings):
    [finding] = list(findings)
    return finding


def test_the_broker_accepting_the_configured_credentials_is_ok(tmp_path, mqtt_config, broker):
    finding = only(check_broker(wall_config(tmp_path, mqtt_config()), Host()))
    assert finding.verdict is Verdict.OK
    assert finding.detail == f"{broker.host}:{broker.port} as wallboard accepted the configured credentials"
    dutch = only(check_broker(wall_config(tmp_path, mqtt_config(), "nl"), Host()))
    assert dutch.detail == f"{broker.host}:{broker.port} als wallboard accepteerde de ingestelde inloggegevens"


def test_a_wrong_password_is_a_failure_that_points_at_the_password_file(tmp_path, mqtt_config):
    wrong = Path(tmp_path / "wrong-password")
    wrong.write_text("not-the-password\n")
    finding = only(check_broker(wall_config(tmp_path, mqtt_config(password_file=wrong)), Host()))
    assert finding.verdict is Verdict.FAIL and "refused" in finding.detail
    assert "users.sh" in finding.fix


def test_no_broker_on_the_port_is_a_failure_naming_mosquitto(tmp_path, mqtt_config):
    finding = only(check_broker(wall_config(tmp_path, mqtt_config(port=free_port())), Host()))
    assert finding.verdict is Verdict.FAIL and "cannot reach" in finding.detail
    assert "systemctl status mosquitto" in finding.fix

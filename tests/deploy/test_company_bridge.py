"""deploy/company-bridge.sh, as install.sh runs it for --company-broker: on a real company broker."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from board.dev.broker import free_port
from tests.mqtt.clients import TestClient
from tests.mqtt.fleet import BridgedWall, Company
from tests.mqtt.test_deploy_config import deploy_broker

pytestmark = pytest.mark.fleet  # brokers and bridges, no date in it: test-dates skips it

DEPLOY = Path(__file__).parents[2] / "deploy"
WALLBOARD = Path(sys.executable).with_name("wallboard")


@pytest.fixture
def company():
    company = Company(["team-a"])
    yield company
    company.close()


@pytest.fixture
def etc_mosquitto():
    """An /etc/mosquitto the mosquitto user can read (pytest's tmp_path is root's alone)."""
    directory = Path(tempfile.mkdtemp(prefix="wallboard-etc-mosquitto-"))
    directory.chmod(0o755)
    (directory / "conf.d").mkdir()
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def company_bridge(wall: BridgedWall, etc_mosquitto: Path, *options: str) -> subprocess.CompletedProcess:
    password_file = wall.directory / "from-the-company.txt"
    password_file.write_text(f"{wall.board_id}-bridge-secret\n")
    return subprocess.run(
        [DEPLOY / "company-bridge.sh", *options]
        + ["--company-ca", str(wall.company.certificates.ca), "--company-password-file", str(password_file)],
        env=os.environ
        | {"WALLBOARD": str(WALLBOARD), "CONF_DIR": str(wall.directory), "MOSQUITTO_DIR": str(etc_mosquitto)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_install_bridges_the_pi_and_its_mosquitto_reaches_the_company_with_the_section(
    company, etc_mosquitto, tmp_path
):
    wall = BridgedWall(tmp_path / "wall", company, "team-a")
    result = company_bridge(wall, etc_mosquitto, "--company-broker", company.address)
    assert result.returncode == 0, result.stderr
    section = etc_mosquitto / "conf.d" / "wallboard.bridge.conf"
    assert section.stat().st_mode & 0o777 == 0o640  # it holds the company password
    assert (wall.directory / "company-broker-password").stat().st_mode & 0o777 == 0o600
    assert "[mqtt.bridge]" in wall.config_path.read_text()
    watcher = TestClient(company.broker, "collector").connect().subscribe("wallboard/team-a/bridge")
    try:
        with deploy_broker(wall.broker, etc_mosquitto, free_port(), more_confs={section.name: section.read_text()}):
            assert watcher.wait_for("wallboard/team-a/bridge", 15).payload == b"1"
    finally:
        watcher.close()
        wall.close()


def test_a_second_wall_with_the_same_board_id_leaves_install_with_nothing_changed(company, etc_mosquitto, tmp_path):
    first = BridgedWall(tmp_path / "first", company, "team-a")
    assert company_bridge(first, etc_mosquitto, "--company-broker", company.address).returncode == 0
    other_pi = Path(tempfile.mkdtemp(prefix="wallboard-etc-mosquitto-"))
    (other_pi / "conf.d").mkdir()
    second = BridgedWall(tmp_path / "second", company, "team-a")
    before = second.config_path.read_text()
    refused = company_bridge(second, other_pi, "--company-broker", company.address)
    assert refused.returncode == 1 and "already used on the company broker" in refused.stderr
    assert second.config_path.read_text() == before
    assert sorted(path.relative_to(other_pi).as_posix() for path in other_pi.rglob("*")) == ["certs", "conf.d"]
    assert not (second.directory / "company-broker-password").exists()
    for wall in (first, second):
        wall.close()
    shutil.rmtree(other_pi)


def test_options_without_a_company_broker_are_refused_before_anything_happens(tmp_path):
    result = subprocess.run(
        [DEPLOY / "company-bridge.sh", "--check", "--company-ca", "ca.pem"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "go with --company-broker" in result.stderr
    result = subprocess.run(
        [DEPLOY / "company-bridge.sh", "--check", "--company-broker", "broker.example.com"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "--company-ca FILE" in result.stderr

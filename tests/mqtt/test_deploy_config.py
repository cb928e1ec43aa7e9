"""deploy/mosquitto/wallboard.conf as install.sh puts it: in conf.d, next to Debian's own mosquitto.conf."""

import socket
import subprocess
import time

from board.dev.broker import DEPLOY_ACL, MOSQUITTO, free_port

DEPLOY_CONF = DEPLOY_ACL.with_name("wallboard.conf")
# Debian's (and Raspberry Pi OS's) /etc/mosquitto/mosquitto.conf, with the paths of a private directory.
DEBIAN_MAIN_CONF = """\
persistence true
persistence_location {directory}/
include_dir {directory}/conf.d
"""


def test_the_deploy_config_loads_beside_debians_main_config(broker, tmp_path):
    """A setting the main config has already (such as persistence_location) stops Mosquitto at start.

    The test broker's password file and ACL stand in for the ones install.sh writes.
    """
    port = free_port()
    deploy_conf = DEPLOY_CONF.read_text()
    assert "listener 1883 127.0.0.1\n" in deploy_conf  # replaced below: never the system broker's port
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "mosquitto.conf").write_text(DEBIAN_MAIN_CONF.format(directory=tmp_path))
    (tmp_path / "conf.d" / "wallboard.conf").write_text(
        deploy_conf.replace("listener 1883 127.0.0.1\n", f"listener {port} 127.0.0.1\n")
        .replace("/etc/mosquitto/wallboard.passwd", str(broker.directory / "passwd"))
        .replace("/etc/mosquitto/wallboard.acl", str(broker.directory / "acl")))
    for path in (tmp_path, *tmp_path.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)
    subprocess.run(["chown", "-R", "mosquitto", str(tmp_path)], stderr=subprocess.DEVNULL)
    process = subprocess.Popen([MOSQUITTO, "-c", tmp_path / "mosquitto.conf"], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while process.poll() is None and time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.02)
        assert process.poll() is None, "mosquitto refused the deploy config"
    finally:
        process.terminate()
        process.wait(5)


def test_the_deploy_broker_lets_a_request_just_over_the_walls_limit_through_to_be_answered():
    from board.mqtt.config import MqttConfig

    limit = int(next(line.split()[1] for line in DEPLOY_CONF.read_text().splitlines()
                     if line.startswith("max_packet_size")))
    assert limit > MqttConfig().max_payload_bytes + 1024  # room for the topic and the packet header

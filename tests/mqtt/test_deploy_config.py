"""deploy/mosquitto/wallboard.conf as install.sh puts it: in conf.d, next to Debian's own mosquitto.conf."""

import socket
import subprocess
import time
from contextlib import contextmanager

from board.app.config import parse_config
from board.app.doctor import Host, Verdict, check_broker
from board.dev.broker import DEPLOY_ACL, MOSQUITTO, free_port
from board.mqtt.config import TlsConfig
from tests.mqtt.certificates import make_certificates
from tests.mqtt.test_doctor_broker import WALL

DEPLOY_CONF = DEPLOY_ACL.with_name("wallboard.conf")
TLS_CONF = DEPLOY_ACL.with_name("wallboard.tls.conf")
# Debian's (and Raspberry Pi OS's) /etc/mosquitto/mosquitto.conf, with the paths of a private directory.
DEBIAN_MAIN_CONF = """\
persistence true
persistence_location {directory}/
include_dir {directory}/conf.d
"""


@contextmanager
def deploy_broker(broker, directory, port, tls_files=None, more_confs=None):
    """Mosquitto with Debian's main config and the deploy files in conf.d, as install.sh leaves it.

    The test broker's password file and ACL stand in for the ones install.sh writes;
    with `tls_files` (certfile, keyfile, port), the TLS listener file joins them, and
    `more_confs` ({name: text}) join as they are (a bridge section install.sh wrote).
    """
    deploy_conf = DEPLOY_CONF.read_text()
    assert "listener 1883 127.0.0.1\n" in deploy_conf  # replaced below: never the system broker's port
    confs = {"wallboard.conf": deploy_conf.replace("listener 1883 127.0.0.1\n", f"listener {port} 127.0.0.1\n")}
    if tls_files:
        certfile, keyfile, tls_port = tls_files
        confs["wallboard.tls.conf"] = (
            TLS_CONF.read_text()
            .replace("listener 8883\n", f"listener {tls_port} 127.0.0.1\n")
            .replace("/etc/mosquitto/certs/wallboard.crt", str(certfile))
            .replace("/etc/mosquitto/certs/wallboard.key", str(keyfile))
        )
    confs |= more_confs or {}
    (directory / "conf.d").mkdir(exist_ok=True)
    (directory / "mosquitto.conf").write_text(DEBIAN_MAIN_CONF.format(directory=directory))
    for name, text in confs.items():
        (directory / "conf.d" / name).write_text(
            text.replace("/etc/mosquitto/wallboard.passwd", str(broker.directory / "passwd")).replace(
                "/etc/mosquitto/wallboard.acl", str(broker.directory / "acl")
            )
        )
    for path in (directory, *directory.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)
    subprocess.run(["chown", "-R", "mosquitto", str(directory)], stderr=subprocess.DEVNULL)
    log = directory / "mosquitto.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [MOSQUITTO, "-c", directory / "mosquitto.conf"], stdin=subprocess.DEVNULL, stdout=output, stderr=output
        )
    try:
        deadline = time.monotonic() + 10
        while process.poll() is None and time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.02)
        assert process.poll() is None, f"mosquitto refused the deploy config:\n{log.read_text()}"
        yield
    finally:
        process.terminate()
        process.wait(5)


def test_the_deploy_config_loads_beside_debians_main_config(broker, tmp_path):
    """A setting the main config has already (such as persistence_location) stops Mosquitto at start."""
    with deploy_broker(broker, tmp_path, free_port()):
        pass


def test_the_optional_tls_listener_takes_the_walls_credentials_over_tls_only(broker, tmp_path, mqtt_config):
    # Next to the test broker's password file: the broker, dropped to the mosquitto user, reads there.
    (broker.directory / "certs").mkdir()
    certificates = make_certificates(broker.directory / "certs")
    subprocess.run(["chown", "-R", "mosquitto", str(broker.directory / "certs")], stderr=subprocess.DEVNULL)
    tls_port = free_port()
    (tmp_path / "broker").mkdir()
    with deploy_broker(
        broker, tmp_path / "broker", free_port(), (certificates.server_cert, certificates.server_key, tls_port)
    ):
        wall = parse_config(WALL, tmp_path / "wallboard.toml")
        over_tls = mqtt_config(port=tls_port, tls=TlsConfig(ca_file=certificates.ca))
        [finding] = check_broker(wall.model_copy(update={"mqtt": over_tls}), Host())
        assert finding.verdict is Verdict.OK, finding.detail
        [plain] = check_broker(wall.model_copy(update={"mqtt": mqtt_config(port=tls_port)}), Host(), timeout=2)
        assert plain.verdict is Verdict.FAIL


def test_the_deploy_broker_lets_a_request_just_over_the_walls_limit_through_to_be_answered():
    from board.mqtt.config import MqttConfig

    limit = int(
        next(line.split()[1] for line in DEPLOY_CONF.read_text().splitlines() if line.startswith("max_packet_size"))
    )
    assert limit > MqttConfig().max_payload_bytes + 1024  # room for the topic and the packet header

"""[mqtt.tls] against a Mosquitto with a TLS listener, certificates made by `openssl` for each run."""

import logging
from pathlib import Path

import pytest

from board.dev.broker import BrokerTls, Mosquitto
from board.mqtt.config import TlsConfig
from board.mqtt.link import MqttLink
from board.mqtt.publisher import MqttPublisher
from tests.mqtt.certificates import Certificates, make_certificates
from tests.mqtt.outbox import MemoryOutbox
from tests.mqtt.test_publisher import BASE, BOARD, wait_until
from tests.mqtt.wall import RunningWall, home_assistant_device, write_wall_config


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certificates"))


@pytest.fixture
def broker(certificates, request):
    """A Mosquitto with a TLS listener next to its plain one (where test clients connect);
    parametrize it indirectly with True to make the TLS listener require client certificates."""
    tls = BrokerTls(
        certificates.ca,
        certificates.server_cert,
        certificates.server_key,
        require_certificate=getattr(request, "param", False),
    )
    with Mosquitto(tls=tls) as running:
        yield running


def tls_wall_config(directory: Path, broker: Mosquitto, **tls_files: Path) -> Path:
    """The test wall's config, connecting to the TLS port with these [mqtt.tls] files."""
    path = write_wall_config(directory, broker)
    text = path.read_text().replace(f"port = {broker.port}\n", f"port = {broker.tls_port}\n")
    path.write_text(text + "\n[mqtt.tls]\n" + "".join(f'{key} = "{value}"\n' for key, value in tls_files.items()))
    return path


def test_a_wall_configured_with_a_ca_file_delivers_its_state_and_events_over_tls(
    broker, connect, certificates, tmp_path
):
    watcher = connect("viewer").subscribe(f"{BASE}/state", f"{BASE}/event/#")
    wall = RunningWall(tls_wall_config(tmp_path, broker, ca_file=certificates.ca), broker)
    try:
        assert watcher.wait_for(f"{BASE}/state").json()["board_id"] == BOARD
        wall.add_people()
        added = watcher.wait_for(f"{BASE}/event/person_added").json()
        assert added["person"]["name"] == "Sanne"
    finally:
        wall.close()
    assert f"on port {broker.tls_port}" in broker.log()  # it came in through the TLS listener


@pytest.mark.parametrize("broker", [True], indirect=True, ids=["client certificate required"])
def test_a_broker_that_requires_a_client_certificate_accepts_the_walls(broker, connect, certificates, tmp_path):
    watcher = connect("viewer").subscribe(f"{BASE}/event/#")
    wall = RunningWall(
        tls_wall_config(
            tmp_path,
            broker,
            ca_file=certificates.ca,
            cert_file=certificates.client_cert,
            key_file=certificates.client_key,
        ),
        broker,
    )
    try:
        wall.add_people()
        assert watcher.wait_for(f"{BASE}/event/person_added").json()["person"]["name"] == "Sanne"
    finally:
        wall.close()


def link_errors(caplog) -> list[str]:
    """What the wall's MQTT link (and paho under it) logged as errors."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("board.mqtt.link") and record.levelno == logging.ERROR
    ]


@pytest.mark.parametrize("broker", [True], indirect=True, ids=["client certificate required"])
def test_a_wall_without_the_client_certificate_the_broker_requires_is_not_let_in_and_says_why(
    broker, mqtt_config, certificates, caplog
):
    link = MqttLink(mqtt_config(port=broker.tls_port, tls=TlsConfig(ca_file=certificates.ca)), BOARD)
    link.start()
    try:
        wait_until(
            lambda: any("certificate required" in message for message in link_errors(caplog)),
            what="the broker's refusal logged",
        )
        assert not link.ready
    finally:
        link.stop()


def test_a_wall_that_does_not_trust_the_brokers_certificate_says_so_and_keeps_trying(
    broker, mqtt_config, certificates, caplog
):
    outbox = MemoryOutbox()
    link = MqttLink(mqtt_config(port=broker.tls_port, tls=TlsConfig(ca_file=certificates.other_ca)), BOARD)
    publisher = MqttPublisher(link, outbox, home_assistant_device(link.config), poll_interval=0.05)
    publisher.start()
    link.start()
    try:
        publisher.on_event(outbox.record())
        wait_until(lambda: len(link_errors(caplog)) >= 2, what="the failure logged, and logged again at the retry")
        message = link_errors(caplog)[0]
        assert f"TLS with broker {broker.host}:{broker.tls_port} failed" in message
        assert "certificate verify failed" in message and "ca_file" in message
        assert not link.ready and [event.seq for event in outbox.pending_outbox(10)] == [1]  # kept for later
    finally:
        publisher.stop()
        link.stop()

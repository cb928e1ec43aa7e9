"""The MQTT interface of a running wall: link, publisher, requests, simulated readers."""

from board.app.config import Config
from board.mqtt.api import RequestServer, route_sim_readers
from board.mqtt.discovery import HomeAssistantDevice
from board.mqtt.link import MqttLink
from board.mqtt.publisher import MqttPublisher
from board.wall.service import WallService
from sensors.base import Reader
from sensors.sim import SimulatedReader
from store.repository import Store


class MqttInterface:
    def __init__(self, config: Config, service: WallService, store: Store, readers: dict[str, Reader]):
        self.link = MqttLink(config.mqtt, config.board_id)
        self.publisher = MqttPublisher(self.link, store, HomeAssistantDevice(config, config.mqtt))
        self.requests = RequestServer(self.link, service, max_payload_bytes=config.mqtt.max_payload_bytes)
        if config.readers.kind == "sim":
            route_sim_readers(self.link, {key: reader for key, reader in readers.items()
                                          if isinstance(reader, SimulatedReader)})
        service.listeners.append(self.publisher)
        self.publisher.on_snapshot(service.snapshot())

    def start(self) -> None:
        self.publisher.start()
        self.requests.start()
        self.link.start()

    def stop(self) -> None:
        self.requests.stop()
        self.publisher.stop()
        self.link.stop()

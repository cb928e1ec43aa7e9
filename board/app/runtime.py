"""One wall put together from its config: parts started in order, stopped in reverse.

store → readers → service → its threads → screen → LED column → MQTT. Each part
starts only after the ones before it, and `stop()` stops whatever has started, last
first, so a part that fails to start (a screen that cannot open) leaves nothing
running. The one gpiozero pin factory is chosen here and handed to readers and LEDs.
"""

import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from board.app.config import Config
from board.core.clock import Clock
from board.core.closeable import Closeable
from board.core.listener import BoardListener
from board.mqtt.api import RequestServer, route_sim_readers
from board.mqtt.discovery import HomeAssistantDevice
from board.mqtt.link import MqttLink
from board.mqtt.publisher import MqttPublisher
from board.wall.service import WallService
from sensors.base import Reader
from sensors.hardware import build_readers as build_hardware_readers
from sensors.sim import SimulatedReader
from store.repository import Store

if TYPE_CHECKING:
    from render.display import WallDisplay
    from render.leds import LedThermometer

log = logging.getLogger(__name__)


def choose_pin_factory() -> Any:
    """None (gpiozero's own choice) on a Raspberry Pi, mock PWM pins anywhere else."""
    try:
        on_a_pi = "Raspberry Pi" in Path("/proc/device-tree/model").read_text(errors="replace")
    except OSError:
        on_a_pi = False
    if on_a_pi:
        return None
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    log.info("not a Raspberry Pi: the LED thermometer runs on gpiozero's mock pins")
    return MockFactory(pin_class=MockPWMPin)


def simulated_readers(config: Config) -> dict[str, SimulatedReader]:
    return {reader_id: SimulatedReader(reader_id) for reader_id in config.reader_ids}


def build_readers(config: Config, pin_factory: Any = None) -> Mapping[str, Reader]:
    """Simulated readers for kind = "sim", else the readers wired in [readers.wiring]."""
    if config.readers.kind == "sim":
        return simulated_readers(config)
    return build_hardware_readers(config.readers, pin_factory=pin_factory)


class MqttInterface:
    """The MQTT side of a running wall: link, outbox publisher, requests, simulated readers."""

    def __init__(self, config: Config, service: WallService, store: Store, readers: Mapping[str, Reader]):
        self.service = service
        self.link = MqttLink(config.mqtt, config.board_id)
        self.publisher = MqttPublisher(self.link, store, HomeAssistantDevice(config, config.mqtt))
        self.requests = RequestServer(self.link, service, max_payload_bytes=config.mqtt.max_payload_bytes)
        if config.readers.kind == "sim":
            route_sim_readers(
                self.link, {key: reader for key, reader in readers.items() if isinstance(reader, SimulatedReader)}
            )

    def start(self) -> None:
        self.service.subscribe(self.publisher)
        self.publisher.start()
        self.requests.start()
        self.link.start()

    def stop(self) -> None:
        self.service.unsubscribe(self.publisher)
        self.requests.stop()
        self.publisher.stop()
        self.link.stop()


class WallRuntime(Closeable):
    """Build, start and stop one wall.

    `open()` brings up the recording side (store, readers, service; no threads),
    which is all a command that looks or administers needs; `start()` adds the rest of
    a live wall. A `live` wall also records what time has brought since it last ran.
    Readers default to the config's (simulated, or the hardware wired in it); the
    screen and the LED column (when the config enables it) run only when asked for.
    """

    def __init__(
        self,
        config: Config,
        clock: Clock,
        *,
        readers: Mapping[str, Reader] | None = None,
        listeners: Iterable[BoardListener] = (),
        live: bool = False,
        screen: bool = False,
        leds: bool = False,
    ):
        self.config = config
        self.clock = clock
        self.live = live
        self.screen = screen
        self.drive_leds = leds
        self._given_readers = readers
        self._listeners = list(listeners)
        self._parts = ExitStack()
        self._pin_factory: Any = None
        self._pin_factory_chosen = False
        self.readers: Mapping[str, Reader] = {}
        self.display: WallDisplay | None = None
        self.leds: LedThermometer | None = None
        self.mqtt: MqttInterface | None = None

    @property
    def pin_factory(self) -> Any:
        """The gpiozero pin factory of readers and LEDs, chosen once, when first needed."""
        if not self._pin_factory_chosen:
            self._pin_factory, self._pin_factory_chosen = choose_pin_factory(), True
        return self._pin_factory

    def open(self) -> WallService:
        """Store, readers and service, in that order; the service's state loaded, nothing running."""
        with self._stopped_on_failure():
            self.store = self._parts.enter_context(Store(self.config))
            self.readers = self._build_readers()
            self.service = WallService(self.config, self.store, self.readers, self.clock)
            self._parts.callback(self.service.stop)  # its threads, then the readers it scans
            if self.live:
                self.service.tick()
            for listener in self._listeners:
                self.service.subscribe(listener)
        return self.service

    def start(self) -> None:
        """The service's threads, then the screen, the LED column and MQTT as the config asks."""
        with self._stopped_on_failure():
            self.service.start()
            if self.screen:
                from render.display import WallDisplay

                self.display = self._parts.enter_context(WallDisplay(self.config.display, clock=self.clock.now).open())
                self._listen(self.display)
            if self.drive_leds and self.config.leds.enabled:
                from render.leds import LedThermometer

                self.leds = self._parts.enter_context(
                    LedThermometer(
                        self.config.leds,
                        self.config.display.schedule,
                        pin_factory=self.pin_factory,
                        clock=self.clock.now,
                    )
                )
                self._listen(self.leds)
            if self.config.mqtt.enabled:
                self.mqtt = MqttInterface(self.config, self.service, self.store, self.readers)
                self._parts.callback(self.mqtt.stop)
                self.mqtt.start()

    def __enter__(self) -> Self:
        self.open()
        return self

    def close(self) -> None:
        """Stop every part that started, the last started first; safe to call twice."""
        self._parts.close()

    def _build_readers(self) -> Mapping[str, Reader]:
        if self._given_readers is not None:
            return self._given_readers
        return build_readers(self.config, None if self.config.readers.kind == "sim" else self.pin_factory)

    def _listen(self, listener: BoardListener) -> None:
        """A listener for as long as it runs: it hears the wall from now on, and no more once stopped."""
        self.service.subscribe(listener)
        self._parts.callback(self.service.unsubscribe, listener)

    @contextmanager
    def _stopped_on_failure(self) -> Iterator[None]:
        try:
            yield
        except BaseException:
            self.close()
            raise

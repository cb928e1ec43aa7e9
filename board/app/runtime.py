"""One wall put together from its config: parts started in order, stopped in reverse.

store → readers → service → its threads → screen → LED column → MQTT. Each part
starts only after the ones before it, and `stop()` stops whatever has started, last
first, so a part that fails to start (a screen that cannot open) leaves nothing
running. Readers and LEDs share the process's one gpiozero pin factory (sensors/pins.py).
"""

import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Self

from board.app.config import Config
from board.app.systemd import Systemd, wait_for_trusted_clock
from board.core.clock import Clock
from board.core.closeable import Closeable
from board.core.listener import BoardListener
from board.wall.service import WallService
from sensors.base import Reader
from sensors.hardware import build_readers as build_hardware_readers
from sensors.pins import process_pin_factory
from sensors.sim import SimulatedReader
from store.repository import Store

if TYPE_CHECKING:
    from render.display import WallDisplay
    from render.leds import LedThermometer
    from render.sun import PhysicalSun

log = logging.getLogger(__name__)


def simulated_readers(config: Config) -> dict[str, SimulatedReader]:
    return {reader_id: SimulatedReader(reader_id) for reader_id in config.reader_ids}


def build_readers(config: Config) -> Mapping[str, Reader]:
    """Simulated readers for kind = "sim", else the readers wired in [readers.wiring] on the process's pins."""
    if config.readers.kind == "sim":
        return simulated_readers(config)
    return build_hardware_readers(config.readers, pin_factory=process_pin_factory())


class MqttInterface:
    """The MQTT side of a running wall: link, outbox publisher, requests, simulated readers.

    Its modules (and paho) are imported here, when MQTT is enabled: a wall without it does
    not carry them in memory."""

    def __init__(self, config: Config, service: WallService, readers: Mapping[str, Reader]):
        from board.mqtt.api import RequestServer, route_sim_readers
        from board.mqtt.discovery import HomeAssistantDevice
        from board.mqtt.link import MqttLink
        from board.mqtt.publisher import MqttPublisher

        self.service = service
        self.link = MqttLink(config.mqtt, config.board_id)
        # The service as the outbox: it writes the marks, the wall's one writer.
        self.publisher = MqttPublisher(self.link, service, HomeAssistantDevice(config, config.mqtt))
        self.requests = RequestServer(self.link, service, max_payload_bytes=config.mqtt.max_payload_bytes)
        if config.readers.kind == "sim":
            route_sim_readers(
                self.link, {key: reader for key, reader in readers.items() if isinstance(reader, SimulatedReader)}
            )

    def start(self) -> None:
        from board.mqtt.api import remove_orphan_photos

        remove_orphan_photos(self.service)
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
    screen and the LED column (when the config enables it) run only when asked for; a
    physical sun (servo or slider, when configured) runs with the LED column.
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
        systemd: Systemd | None = None,
        create: bool = True,
    ):
        """`systemd` (`wallboard run`): wait for a trusted clock before recording, and pet the watchdog.
        `create=False` for the CLI's commands but init and the demo: no new, empty database where
        the config's is missing (see Store)."""
        self.config = config
        self.systemd = systemd
        self.create = create
        self.clock = clock
        self.live = live
        self.screen = screen
        self.drive_leds = leds
        self._given_readers = readers
        self._listeners = list(listeners)
        self._parts = ExitStack()
        self.readers: Mapping[str, Reader] = {}
        self.display: WallDisplay | None = None
        self.leds: LedThermometer | None = None
        self.sun: PhysicalSun | None = None
        self.mqtt: MqttInterface | None = None

    def open(self) -> WallService:
        """Store, readers and service, in that order; the service's state loaded, nothing running."""
        with self._stopped_on_failure():
            self.store = self._parts.enter_context(Store(self.config, create=self.create))
            self.readers = self._build_readers()
            heartbeat = lambda: None  # noqa: E731
            if self.systemd is not None:
                wait_for_trusted_clock(self.clock.now, self.store.last_event_at(), self.systemd)
                heartbeat = self.systemd.pet
            self.service = WallService(self.config, self.store, self.readers, self.clock, heartbeat=heartbeat)
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
                from render.tv import CecTv

                tv = CecTv() if self.config.display.tv_standby_at_night and CecTv.available() else None
                self.display = self._parts.enter_context(
                    WallDisplay(self.config.display, clock=self.clock.now, tv=tv).open()
                )
                self._listen(self.display)
            if self.drive_leds and self.config.leds.enabled:
                from render.leds import LedThermometer

                self.leds = self._parts.enter_context(
                    LedThermometer(
                        self.config.leds,
                        self.config.display.schedule,
                        pin_factory=process_pin_factory(),
                        clock=self.clock.now,
                    )
                )
                self._listen(self.leds)
            display = self.config.display
            if self.drive_leds and (display.sun_servo_pin is not None or display.sun_slider_channel is not None):
                from render.sun import PhysicalSun

                self.sun = self._parts.enter_context(
                    PhysicalSun(display, display.schedule, pin_factory=process_pin_factory(), clock=self.clock.now)
                )
                # A slid sun is recorded as sun_moved, on the service's thread like every record.
                self.sun.report_to(lambda height: self.service.submit(lambda: self.service.record_sun_moved(height)))
                self._listen(self.sun)
                self.sun.start()
            if self.config.mqtt.enabled:
                self.mqtt = MqttInterface(self.config, self.service, self.readers)
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
        return build_readers(self.config)

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

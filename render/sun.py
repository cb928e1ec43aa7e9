"""The physical sun: a servo that moves a paper sun along a rail, or a slide potentiometer
people push up by hand (the original wall had "a sun you could slide up").

A BoardListener like the LED column, with a thread of its own, so it works with
or without a screen. With a servo (gpiozero AngularServo) the sun follows the
team's progress, like the sun on the screen, and parks at the bottom at night
(then the servo is let go, so it does not hum). With a slider (gpiozero MCP3008)
people set the sun themselves; each move is recorded as a `sun_moved` event,
and the screen mirrors it. Off the Pi both run on gpiozero's mock pins;
`EmulatedMCP3008` answers on those pins like the real chip.
"""

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from gpiozero import MCP3008, AngularServo, Device, GPIOZeroError
from gpiozero.pins.mock import MockSPIDevice

from board.core.closeable import Closeable
from board.core.errors import WallboardError
from board.core.snapshot import Snapshot
from render.config import DisplayConfig, NightSchedule

log = logging.getLogger(__name__)

_IDLE_CHECK_SECONDS = 30.0  # how often a servo sun with nothing new checks the night schedule
SPI0_PINS = {"clock_pin": 11, "mosi_pin": 10, "miso_pin": 9, "select_pin": 8}  # BCM numbers of SPI0, CE0


class SunError(WallboardError, RuntimeError):
    """The sun's servo or slider could not be set up; the message says what to check."""


def sun_height(snapshot: Snapshot, follows: str) -> float:
    """How far the sun has risen (0..1): a slider's last position when people set it by hand,
    else the share of people who had a go (or the thermometer's share of the goal)."""
    if snapshot.sun_height is not None:
        return snapshot.sun_height
    period = snapshot.period
    return period.fraction if follows == "thermometer" else period.tried_fraction


class EmulatedMCP3008(MockSPIDevice):
    """An MCP3008 on gpiozero's mock pins: answers a single-ended read with `levels[channel]`.

    The protocol from the datasheet: after the start bit come the single/differential
    bit and three channel bits; the chip samples for a clock, then sends a null bit
    and ten bits, MSB first.
    """

    def __init__(self, pin_factory, **pins):
        super().__init__(pin_factory=pin_factory, **(pins or SPI0_PINS))
        self.levels = [0.0] * 8

    def on_bit(self):
        bits = self.rx_buf
        if 1 not in bits:
            return
        start = bits.index(1)
        if len(bits) == start + 5:  # start, single-ended, D2 D1 D0
            channel = bits[start + 2] << 2 | bits[start + 3] << 1 | bits[start + 4]
            # One clock to sample, a null bit, then the ten bits of the reading.
            self.tx_word(round(max(0.0, min(1.0, self.levels[channel])) * 1023), bits_per_word=12)


class PhysicalSun(Closeable):
    """Drives a servo sun or reads a slider sun, on its own thread."""

    def __init__(
        self,
        config: DisplayConfig,
        schedule: NightSchedule,
        *,
        pin_factory=None,
        clock: Callable[[], datetime],
        poll_seconds: float = 0.2,
    ):
        self.config = config
        self._schedule = schedule
        self._clock = clock
        self._poll = poll_seconds
        self._on_moved: Callable[[float], None] | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._target: float | None = None
        self._lock = threading.Lock()
        self.servo: AngularServo | None = None
        self.slider: MCP3008 | None = None
        self.parked = False
        self.reported: float | None = None  # the slider position last recorded
        self._pending: float | None = None  # a new slider position seen once, waiting to be seen again
        try:
            if config.sun_servo_pin is not None:
                bottom, top = config.sun_servo_angles
                self.servo = AngularServo(
                    config.sun_servo_pin,
                    min_angle=min(bottom, top),
                    max_angle=max(bottom, top),
                    initial_angle=None,
                    pin_factory=pin_factory,
                )
            if config.sun_slider_channel is not None:
                if pin_factory is not None and Device.pin_factory is None:
                    # gpiozero 2.0's software SPI bus opens its pins on the default factory, whatever it is given
                    Device.pin_factory = pin_factory
                self.slider = MCP3008(channel=config.sun_slider_channel, pin_factory=pin_factory)
        except (GPIOZeroError, OSError) as error:
            self.close()
            raise SunError(
                f"the sun cannot use its pins ({error}); check display.sun_servo_pin / "
                f"sun_slider_channel and that SPI is enabled (raspi-config)"
            ) from error
        self._thread: threading.Thread | None = None

    def start(self) -> "PhysicalSun":
        """Drive the servo / watch the slider on a thread of its own until `close()`."""
        self._thread = threading.Thread(target=self._run, name="sun", daemon=True)
        self._thread.start()
        return self

    def report_to(self, on_moved: Callable[[float], None]) -> None:
        """Who records a slider move (the service, as a `sun_moved` event)."""
        self._on_moved = on_moved

    # ------------------------------------------------ listener side (service thread)

    def on_snapshot(self, snapshot: Snapshot) -> None:
        with self._lock:
            self._target = sun_height(snapshot, self.config.sun_follows)
            if self.reported is None and snapshot.sun_height is not None:
                self.reported = snapshot.sun_height  # the last recorded position, after a restart
        self._wake.set()

    def on_event(self, event) -> None:
        """Events change the sun only through the snapshot that follows them."""

    # ------------------------------------------------ own thread

    def _run(self) -> None:
        while not self._stop.is_set():
            self.step()
            self._wake.wait(self._poll if self.slider is not None else _IDLE_CHECK_SECONDS)
            self._wake.clear()

    def step(self) -> None:
        """One look: move the servo (or park it at night), read the slider."""
        if self.servo is not None:
            self._drive_servo()
        if self.slider is not None:
            self._read_slider()

    def _drive_servo(self) -> None:
        with self._lock:
            target = self._target
        if self._schedule.mode_at(self._clock()) is not None:
            if not self.parked:
                self.servo.angle = self.config.sun_servo_angles[0]
                self._stop.wait(0.5)  # time to get to the bottom before the servo is let go
                self.servo.detach()
                self.parked = True
            return
        if target is not None:
            bottom, top = self.config.sun_servo_angles
            self.servo.angle = bottom + (top - bottom) * max(0.0, min(1.0, target))
            self.parked = False

    def _read_slider(self) -> None:
        """A move counts once the slider has moved a step and stays there for two reads."""
        with self._lock:
            if self._target is None:
                return  # no snapshot yet: it tells where the sun was last recorded
        height = round(max(0.0, min(1.0, self.slider.value)), 3)
        if self.reported is not None and abs(height - self.reported) < self.config.sun_slider_step:
            self._pending = None
            return
        if self._pending is None or abs(height - self._pending) >= self.config.sun_slider_step / 2:
            self._pending = height
            return
        self.reported, self._pending = height, None
        if self._on_moved is not None:
            self._on_moved(height)

    def close(self) -> None:
        """Stop the thread and give the pins back; safe to call twice."""
        self._stop.set()
        self._wake.set()
        thread = self.__dict__.get("_thread")
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2)
        for device in (self.servo, self.slider):
            if device is not None:
                device.close()
        self.servo = self.slider = None

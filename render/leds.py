"""The LED thermometer: a column of LEDs on GPIO that shows the share of the goal.

A BoardListener like the screen: `on_snapshot`/`on_event` only queue work, a
thread of its own drives the pins. The bar is gpiozero's LEDBarGraph (with PWM
the top LED glows partly). A confirmed attempt pulses the top lit LED, the goal
sends a light chasing up the column, and the night schedule dims or darkens it.
Its pins come from the process's one pin factory (sensors/pins.py): mock pins
off the Pi, so the same code runs in the demo.
"""

import logging
import math
import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime

from gpiozero import GPIOZeroError, LEDBarGraph, TonalBuzzer

from board.core.closeable import Closeable
from board.core.errors import WallboardError
from board.core.events import EXPLAINED_REFUSALS, EventType, WallEvent
from board.core.snapshot import Snapshot
from render.config import LedConfig, NightSchedule

log = logging.getLogger(__name__)

# Tunes stay inside TonalBuzzer's default range (A3..A5).
ATTEMPT_TUNE = (("C5", 0.09), ("E5", 0.09), ("G5", 0.18))
GOAL_TUNE = (("C5", 0.12), ("E5", 0.12), ("G5", 0.12), ("C5", 0.08), ("G5", 0.35))
_IDLE_CHECK_SECONDS = 30  # how often a quiet column checks the night schedule
_CHASE_ROUNDS = 3
_STOP = object()


class LedError(WallboardError, RuntimeError):
    """The LED column or buzzer could not be set up; the message says what to check."""


class LedThermometer(Closeable):
    def __init__(
        self,
        config: LedConfig,
        schedule: NightSchedule,
        *,
        pin_factory=None,
        clock: Callable[[], datetime],
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.config = config
        self._schedule = schedule
        self._clock = clock  # the wall's clock: night dimming follows the wall's timezone
        self._sleep = sleep
        try:
            self.bar = LEDBarGraph(
                *config.pins, pwm=config.pwm, active_high=config.active_high, pin_factory=pin_factory
            )
        except GPIOZeroError as error:
            raise LedError(
                f"cannot drive the LED thermometer on pins {list(config.pins)}: {error}. "
                "Check leds.pins (BCM numbers) and that no other program uses them."
            ) from error
        try:
            self.buzzer = (
                TonalBuzzer(config.buzzer_pin, pin_factory=pin_factory) if config.buzzer_pin is not None else None
            )
        except GPIOZeroError as error:
            self.bar.close()  # give the LED pins back: we are not starting after all
            raise LedError(
                f"cannot drive the buzzer on pin {config.buzzer_pin}: {error}. "
                "Check leds.buzzer_pin (a BCM number) and that no other program uses it."
            ) from error
        self._fraction = 0.0
        self._tune_lock = threading.Lock()
        self._jobs: queue.Queue = queue.Queue()
        self._closed = False
        self._thread = threading.Thread(target=self._work, name="led-thermometer", daemon=True)
        self._thread.start()

    # ------------------------------------------------ listener side (service thread)

    def on_snapshot(self, snapshot: Snapshot) -> None:
        self._jobs.put(("level", snapshot.period.fraction))

    def on_event(self, event: WallEvent) -> None:
        if event.type is EventType.ATTEMPT_CONFIRMED:
            self._jobs.put(("pulse", None))
        elif event.type is EventType.GOAL_REACHED:
            self._jobs.put(("chase", None))
        elif event.type is EventType.ATTEMPT_REJECTED and event.details.get("reason") in EXPLAINED_REFUSALS:
            self._jobs.put(("refused", None))

    def wait_idle(self) -> None:
        """Block until everything handed over so far is shown."""
        self._jobs.join()

    # ------------------------------------------------ the LED thread

    def _work(self) -> None:
        while True:
            try:
                job = self._jobs.get(timeout=_IDLE_CHECK_SECONDS)
            except queue.Empty:
                self._show(self._brightness())
                continue
            try:
                if job is _STOP:
                    return
                self._do(*job)
            except Exception:
                log.exception("LED thermometer job %r failed; carrying on", job)
            finally:
                self._jobs.task_done()

    def _do(self, kind: str, value) -> None:
        brightness = self._brightness()
        if kind == "level":
            self._fraction = value
        elif kind == "pulse" and brightness == 1.0:
            self._play(ATTEMPT_TUNE)
            self._pulse()
        elif kind == "refused" and brightness == 1.0:
            self._blink_bottom()
        elif kind == "chase" and brightness == 1.0:
            self._play(GOAL_TUNE)
            self._chase()
        self._show(brightness)

    def _brightness(self) -> float:
        return 1.0 if self._schedule.mode_at(self._clock()) is None else self.config.night_brightness

    def _show(self, brightness: float) -> None:
        if brightness <= 0 or (brightness < 1 and not self.config.pwm):  # plain LEDs cannot dim
            self.bar.off()
            return
        self.bar.value = self._fraction
        if brightness < 1:
            for led in self.bar:
                led.value = led.value * brightness

    def _pulse(self) -> None:
        """Breathe the top lit LED twice: "one more"."""
        top = self.bar[max(0, math.ceil(self._fraction * len(self.bar)) - 1)]
        steps = 8 if self.config.pwm else 1
        ramp = [i / steps for i in range(steps + 1)] + [i / steps for i in range(steps - 1, -1, -1)]
        for _ in range(2):
            for level in ramp:
                top.value = level
                self._sleep(self.config.pulse_seconds / len(ramp))

    def _blink_bottom(self) -> None:
        """Three short blinks of the bottom LED, no tune: "that one did not count"."""
        bottom = self.bar[0]
        lit = bottom.value
        for _ in range(3):
            bottom.value = 0 if lit else 1
            self._sleep(self.config.refused_blink_seconds)
            bottom.value = lit
            self._sleep(self.config.refused_blink_seconds)

    def _chase(self) -> None:
        """Run a light up the column a few times, then fill it from the bottom."""
        count = len(self.bar)
        for _ in range(_CHASE_ROUNDS):
            for index in range(count):
                self.bar.value = 0
                self.bar[index].on()
                self._sleep(self.config.chase_step_seconds)
        for lit in range(1, count + 1):
            self.bar.value = lit / count
            self._sleep(self.config.chase_step_seconds)

    def _play(self, tune) -> None:
        """Play on a thread of its own, so the LEDs do not wait for the music."""
        if self.buzzer is None or not self._tune_lock.acquire(blocking=False):
            return

        def play() -> None:
            try:
                for note, seconds in tune:
                    self.buzzer.play(note)
                    self._sleep(seconds)
                self.buzzer.stop()
            finally:
                self._tune_lock.release()

        threading.Thread(target=play, name="buzzer", daemon=True).start()

    # ------------------------------------------------ lifetime

    def close(self) -> None:
        """Turn everything off and release the pins; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._jobs.put(_STOP)
        self._thread.join(timeout=5)
        with self._tune_lock:
            if self.buzzer is not None:
                self.buzzer.close()
        self.bar.off()
        self.bar.close()

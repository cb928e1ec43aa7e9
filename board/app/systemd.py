"""Talking to systemd (Type=notify): ready, status, stopping, and the watchdog the service loop pets.

sd_notify is one datagram on the unix socket systemd names in $NOTIFY_SOCKET, so no
libsystemd binding (and no C compiler on the Pi) is needed. Outside systemd there is
no socket and every call does nothing.
"""

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping
from datetime import datetime

log = logging.getLogger(__name__)

# No wall ran before this day: a clock behind it is a Pi without RTC that has not synchronised yet.
EARLIEST_TRUSTED_TIME = datetime.fromisoformat("2026-01-01T00:00:00+00:00")


class Systemd:
    def __init__(self, environ: Mapping[str, str] = os.environ, monotonic: Callable[[], float] = time.monotonic):
        address = environ.get("NOTIFY_SOCKET", "")
        # "@name" is Linux's abstract namespace: a leading NUL byte on the wire.
        self._address = "\0" + address[1:] if address.startswith("@") else address
        watchdog_usec = environ.get("WATCHDOG_USEC", "")
        # Pet twice per watchdog period, as sd_watchdog_enabled(3) advises.
        self.pet_every = int(watchdog_usec) / 2e6 if watchdog_usec.isdigit() else None
        self._monotonic = monotonic
        self._last_pet: float | None = None

    @property
    def enabled(self) -> bool:
        return bool(self._address)

    def notify(self, *assignments: str) -> None:
        if not self._address:
            return
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            try:
                sock.sendto("\n".join(assignments).encode(), self._address)
            except OSError as error:  # systemd gone or restarted: nothing to tell, the wall goes on
                log.warning("cannot notify systemd at %s: %s", self._address.lstrip("\0"), error)

    def ready(self, status: str) -> None:
        self.notify("READY=1", f"STATUS={status}")

    def status(self, status: str) -> None:
        self.notify(f"STATUS={status}")

    def extend_start(self, seconds: float) -> None:
        """Still starting, on purpose: keep systemd's start timeout from ending us for `seconds` more."""
        self.notify(f"EXTEND_TIMEOUT_USEC={round(seconds * 1e6)}")

    def stopping(self) -> None:
        self.notify("STOPPING=1")

    def pet(self) -> None:
        """Tell the watchdog we are alive; sends at most twice per watchdog period."""
        if self.pet_every is None:
            return
        now = self._monotonic()
        if self._last_pet is None or now - self._last_pet >= self.pet_every:
            self._last_pet = now
            self.notify("WATCHDOG=1")


def wait_for_trusted_clock(
    now: Callable[[], datetime],
    last_recorded: datetime | None,
    systemd: Systemd,
    sleep: Callable[[float], None] = time.sleep,
    every: float = 5.0,
) -> None:
    """Block until the clock is past the earliest trusted time and the last recorded event.

    A Pi has no real-time clock: until NTP answers it may think it is 1970 (or, with
    fake-hwclock, the moment it was switched off). Events stamped then would sort
    before what is already recorded. Waiting costs nothing: the readers are not
    scanned yet, and a card hung meanwhile is seen as present once the wall starts.
    """
    floor = max(EARLIEST_TRUSTED_TIME, last_recorded) if last_recorded else EARLIEST_TRUSTED_TIME
    said = False
    while (current := now()) < floor:
        if not said:
            message = (
                f"waiting for the clock: it says {current:%Y-%m-%d %H:%M}, before {floor:%Y-%m-%d %H:%M}; "
                "check the network and timedatectl"
            )
            log.warning(message)
            systemd.status(message)
            said = True
        systemd.extend_start(3 * every)
        sleep(every)
    if said:
        log.info("the clock is trusted now: %s", f"{current:%Y-%m-%d %H:%M:%S}")

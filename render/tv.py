"""The TV itself: standby over HDMI-CEC for a black night, on again in the morning.

A black frame keeps a TV's backlight on all night. Most TVs follow HDMI-CEC, which
the Pi's HDMI port speaks through /dev/cec0 and `cec-ctl` (Debian's v4l-utils,
which install.sh installs). DPMS is not reachable here: SDL's KMSDRM driver holds
the DRM master and offers no power control, so a TV without CEC gets the black
frame only. Commands run on a thread of their own: cec-ctl can take a second,
and the screen loop must not wait for a TV.
"""

import logging
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

CEC_DEVICE = Path("/dev/cec0")
TV = "0"  # the TV's CEC logical address


class CecTv:
    """Switches the TV with cec-ctl; `run` is subprocess.run's shape (tests pass a recorder)."""

    def __init__(self, device: Path = CEC_DEVICE, run: Callable[..., subprocess.CompletedProcess] = subprocess.run):
        self.device = device
        self._run = run
        self._lock = threading.Lock()
        self._announced = False
        self.threads: list[threading.Thread] = []

    @staticmethod
    def available(device: Path = CEC_DEVICE) -> bool:
        return device.exists() and shutil.which("cec-ctl") is not None

    def switch(self, on: bool) -> None:
        """Ask the TV to come on, or to go to standby, without waiting for it."""
        thread = threading.Thread(target=self._switch, args=(on,), name="tv-power", daemon=True)
        self.threads = [t for t in self.threads if t.is_alive()] + [thread]
        thread.start()

    def _switch(self, on: bool) -> None:
        with self._lock:
            if not self._announced:  # the Pi must claim a logical address before it may send
                self._announced = self._cec("--playback")
            if self._cec("--to", TV, "--image-view-on" if on else "--standby"):
                log.info("TV %s over HDMI-CEC", "switched on" if on else "put in standby")

    def _cec(self, *args: str) -> bool:
        try:
            result = self._run(["cec-ctl", "-d", str(self.device), *args], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired) as error:
            log.warning("cec-ctl %s failed: %s; the screen stays black instead", " ".join(args), error)
            return False
        if result.returncode != 0:
            log.warning(
                "cec-ctl %s failed: %s; the screen stays black instead",
                " ".join(args),
                (result.stderr or result.stdout).strip().splitlines()[-1:] or "no reason given",
            )
            return False
        return True

"""systemd's watchdog is petted by the service loop only while the scanner keeps sweeping."""

import threading
import time

from board.wall.service import SCANNER_STALLED_SECONDS, WallService
from tests.harness import Wall


class StuckReader:
    """A reader whose poll hangs (a wedged SPI driver) until released."""

    def __init__(self, reader):
        self.reader = reader
        self.stuck = threading.Event()
        self.release = threading.Event()

    def poll(self):
        if self.stuck.is_set():
            self.release.wait()
        return self.reader.poll()

    def close(self):
        self.release.set()
        self.reader.close()


def beats_within(beats: list, seconds: float) -> int:
    before = len(beats)
    time.sleep(seconds)
    return len(beats) - before


def test_a_stuck_scanner_stops_the_heartbeat_so_systemd_restarts_the_wall(tmp_path):
    harness = Wall(tmp_path)
    stuck = StuckReader(harness.readers["A1"])
    readers = {**harness.readers, "A1": stuck}
    beats: list[float] = []
    service = WallService(
        harness.config, harness.store, readers, harness.clock, heartbeat=lambda: beats.append(time.monotonic())
    )
    service.start()
    try:
        deadline = time.monotonic() + 10
        while not beats and time.monotonic() < deadline:
            time.sleep(0.05)
        assert beats, "a sweeping wall pets the watchdog"
        stuck.stuck.set()
        time.sleep(0.5)  # the scanner is now inside the hung poll
        harness.clock.advance(SCANNER_STALLED_SECONDS + 1)
        assert beats_within(beats, 2.5) == 0
    finally:
        stuck.release.set()
        service.stop()
        harness.close()

"""A wall nobody touches costs little: the scanner slows down, and `wallboard run` idles.

Counts and ratios with a wide margin, never wall-clock times, so a loaded CI machine
cannot fail them: sweeps per second on the service's own threads, and the CPU time of
a `wallboard run` process (its own, whatever else the machine does).
"""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from board.core.clock import SystemClock
from board.wall.service import WallService
from sensors.sim import SimulatedReader
from tests.app.test_cli import WALLBOARD
from tests.harness import AMSTERDAM, MO_BADGE, SANNE, SMALL_WALL, Wall

QUICK_TO_SLOW_DOWN = SMALL_WALL + "\n[readers]\nstay_fast_for = 0.3\ngone_after_seconds = 0.05\n"


def sweeps_per_second(service: WallService, seconds: float, during=lambda: None) -> float:
    started, sweeps = time.monotonic(), service.scanner.sweeps
    while time.monotonic() - started < seconds:
        during()
        time.sleep(0.01)
    return (service.scanner.sweeps - sweeps) / (time.monotonic() - started)


def test_the_scanner_sweeps_slowly_while_nothing_moves_and_fast_while_a_card_does(tmp_path):
    harness = Wall(tmp_path, QUICK_TO_SLOW_DOWN, start=SystemClock(AMSTERDAM).now())
    harness.close()
    service = WallService(harness.config, harness.store, harness.readers, SystemClock(harness.config.tz))
    service.start()
    try:
        time.sleep(0.6)  # past the start's fast sweeps
        idle = sweeps_per_second(service, 2.0)
        started = time.monotonic()

        def put_on_and_off():  # a card put on and taken off every 0.1 s: seen, gone, seen, ...
            on = int((time.monotonic() - started) / 0.1) % 2 == 0
            harness.readers["A1"].set_tags([SANNE] if on else [])

        busy = sweeps_per_second(service, 1.0, during=put_on_and_off)
    finally:
        service.stop()
        harness.store.close()
    assert idle <= 1 / harness.config.readers.idle_poll_interval + 1  # 4 a second, give or take a sweep
    assert busy >= 3 * idle  # ~40 a second measured here; 3x leaves room for a loaded machine


def test_a_card_placed_on_a_quiet_wall_is_still_recorded(tmp_path):
    harness = Wall(tmp_path, QUICK_TO_SLOW_DOWN, start=SystemClock(AMSTERDAM).now())
    harness.add_people()
    harness.close()
    service = WallService(harness.config, harness.store, harness.readers, SystemClock(harness.config.tz))
    service.start()
    try:
        time.sleep(0.6)
        assert not service.scanner.busy()
        harness.readers["B2"].set_tags([SANNE])
        deadline = time.monotonic() + 10
        while service.snapshot().slot("B2").person is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert service.snapshot().slot("B2").person.name == "Sanne"
    finally:
        service.stop()
        harness.store.close()


class CountedReader(SimulatedReader):
    def __init__(self, reader_id: str):
        super().__init__(reader_id)
        self.polls = 0

    def poll(self):
        self.polls += 1
        return super().poll()


def polls_on_a_quiet_wall(tmp_path, config_text: str) -> dict[str, int]:
    """How often the service polls each reader over 2 s of a quiet wall with a card on A1."""
    harness = Wall(tmp_path, config_text, start=SystemClock(AMSTERDAM).now())
    harness.close()
    readers = {name: CountedReader(name) for name in harness.readers}
    readers["A1"].set_tags([SANNE])
    service = WallService(harness.config, harness.store, readers, SystemClock(harness.config.tz))
    service.start()
    try:
        time.sleep(0.6)  # past the start's fast sweeps
        assert not service.scanner.busy()
        before = {name: reader.polls for name, reader in readers.items()}
        time.sleep(2.0)
        return {name: reader.polls - before[name] for name, reader in readers.items()}
    finally:
        service.stop()
        harness.store.close()


def test_by_default_a_quiet_wall_re_checks_a_card_as_often_as_it_polls_an_empty_slot(tmp_path):
    polls = polls_on_a_quiet_wall(tmp_path, QUICK_TO_SLOW_DOWN)
    assert polls["A2"] >= 6  # every idle sweep, 8 in 2 s
    assert abs(polls["A1"] - polls["A2"]) <= 1  # the same sweeps (counted while one may be under way)


def test_a_quiet_wall_set_to_recheck_cards_every_half_second_re_checks_a_card_about_half_as_often(tmp_path):
    polls = polls_on_a_quiet_wall(tmp_path, QUICK_TO_SLOW_DOWN + "recheck_cards_every = 0.5\n")
    assert polls["A2"] >= 6  # every idle sweep, 8 in 2 s
    assert polls["A1"] <= 0.75 * polls["A2"]  # every other one: 0.5 s at the 0.25 s idle pause


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (/proc/PID/stat, clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.soak
def test_wallboard_run_on_simulated_readers_idles_on_a_small_share_of_a_core(initialised):
    process = subprocess.Popen(
        [WALLBOARD, "run", "--headless"], cwd=initialised, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        line = ""
        while "draait" not in line and time.monotonic() < deadline and process.poll() is None:
            line = process.stderr.readline()
        assert "draait" in line
        time.sleep(6)  # the default stay_fast_for (5 s) after the start
        cpu_before, started = cpu_seconds(process.pid), time.monotonic()
        time.sleep(4)
        share = (cpu_seconds(process.pid) - cpu_before) / (time.monotonic() - started)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()
    assert share < 0.05  # the goal is 1 % of a core; five times that, for a loaded machine


def test_an_open_coach_pad_window_keeps_the_sweeps_fast_after_the_wall_went_quiet(tmp_path):
    harness = Wall(tmp_path)
    harness.add_people()
    readers = harness.config.readers
    harness.wait(readers.stay_fast_for + 1)
    assert harness.service.sweep_pause() == readers.idle_poll_interval
    harness.tap("pad", MO_BADGE)  # the coach's window opens for 20 s
    harness.wait(readers.stay_fast_for + 1)
    assert harness.service.sweep_pause() == readers.poll_interval
    harness.wait(harness.config.rules.confirm_window)
    assert harness.service.state.pad is None
    assert harness.service.sweep_pause() == readers.idle_poll_interval
    harness.close()

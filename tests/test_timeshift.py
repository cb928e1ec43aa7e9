"""WALLBOARD_TEST_NOW moves the wall clock of every Python process in a test run."""

import os
import subprocess
import sys
from datetime import UTC, datetime

from tests.conftest import TIMESHIFT

LEAP_DAY = datetime(2028, 2, 29, 11, 0, tzinfo=UTC)

PRINT_NOW_AND_CHILD_NOW = """
import subprocess, sys, time
print(time.time())
time.sleep(0.2)
print(subprocess.run([sys.executable, "-c", "import time; print(time.time())"],
                     capture_output=True, text=True, check=True).stdout)
"""


def test_a_moved_clock_reaches_every_python_process_and_keeps_ticking():
    env = {name: value for name, value in os.environ.items() if not name.startswith("WALLBOARD_TEST")}
    env |= {"WALLBOARD_TEST_NOW": LEAP_DAY.isoformat(), "PYTHONPATH": str(TIMESHIFT)}
    result = subprocess.run(
        [sys.executable, "-c", PRINT_NOW_AND_CHILD_NOW], env=env, capture_output=True, text=True, check=True, timeout=60
    )
    parent, child = (float(line) for line in result.stdout.split())
    assert LEAP_DAY.timestamp() <= parent < LEAP_DAY.timestamp() + 30
    assert parent + 0.2 <= child < parent + 30  # the child runs on from the parent's moved clock


def test_a_moved_clock_without_a_time_zone_is_refused():
    env = {name: value for name, value in os.environ.items() if not name.startswith("WALLBOARD_TEST")}
    env |= {"WALLBOARD_TEST_NOW": "2028-02-29T11:00:00", "PYTHONPATH": str(TIMESHIFT)}
    result = subprocess.run([sys.executable, "-c", "pass"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "needs a UTC offset" in result.stderr

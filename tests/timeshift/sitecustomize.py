"""Moves the wall clock of a test run to `WALLBOARD_TEST_NOW`, in every Python process.

The suite must pass on any date, so CI also runs it at dates that stress the wall
(a period rolling over mid-test, the night the clocks go back, 29 February). The
first process that sees `WALLBOARD_TEST_NOW` turns it into an offset from the real
clock and hands that offset down in the environment, so `wallboard` subprocesses
started later run on the same moved clock instead of starting over at the instant.

Only the wall clock moves (time.time, datetime.now, ...) and it keeps ticking;
monotonic time stays real, so timeouts and sleeps behave. libfaketime cannot do
this with Python 3.11: a faked monotonic clock hangs threading waits.

This directory is put on PYTHONPATH by tests/conftest.py, so Python imports this
file at start-up in every process of the run; conftest.py runs it for pytest itself.
"""

import os
import time
from datetime import datetime

TARGET = "WALLBOARD_TEST_NOW"
OFFSET = "WALLBOARD_TEST_CLOCK_OFFSET"  # seconds from the real clock, set by the first process


def travel_from_environment() -> None:
    target = os.environ.get(TARGET)
    if not target:
        return
    offset = os.environ.get(OFFSET)
    if offset is None:
        instant = datetime.fromisoformat(target)
        if instant.tzinfo is None:
            raise SystemExit(f"{TARGET}={target} needs a UTC offset (for example 2027-01-03T23:00:30Z)")
        offset = repr(instant.timestamp() - time.time())
        os.environ[OFFSET] = offset

    import time_machine

    time_machine.travel(time.time() + float(offset), tick=True).start()


travel_from_environment()

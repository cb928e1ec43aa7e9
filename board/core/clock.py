"""Time comes from a clock object so tests and scenario replay need no sleeping.

Two kinds of time: `now()` is the wall clock with the board's UTC offset, used for
everything stored; `monotonic()` never jumps (NTP, DST) and times debounce and
retries.
"""

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


def elapsed(since: datetime, until: datetime) -> timedelta:
    """Real time from `since` to `until`.

    Python subtracts two datetimes that share a tzinfo as wall time, an hour off
    across a DST change; in UTC the difference is what passed.
    """
    return until.astimezone(UTC) - since.astimezone(UTC)


def later(moment: datetime, delta: timedelta) -> datetime:
    """`moment` plus `delta` of real time, in `moment`'s timezone (Python adds wall time)."""
    return (moment.astimezone(UTC) + delta).astimezone(moment.tzinfo)


def until_utc(moment: datetime, delta: timedelta) -> datetime:
    """The end of something shown for `delta`, in UTC: compared with the wall's local times as instants
    (two times of one zone compare by the clock, wrong in the hour the clocks go back)."""
    return later(moment, delta).astimezone(UTC)


class Clock(Protocol):
    tz: ZoneInfo

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...


class SystemClock:
    def __init__(self, tz: ZoneInfo):
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(self.tz)

    def monotonic(self) -> float:
        return time.monotonic()


class FakeClock:
    """A clock that only moves when told to; both kinds of time move together."""

    def __init__(self, start: datetime, tz: ZoneInfo):
        self.tz = tz
        self._start = start.astimezone(tz)
        self._elapsed = 0.0

    def now(self) -> datetime:
        return later(self._start, timedelta(seconds=self._elapsed))

    def monotonic(self) -> float:
        return self._elapsed

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        self._elapsed += seconds

    def advance_to(self, elapsed: float) -> None:
        """Move to `elapsed` seconds after the start (never backwards)."""
        self.advance(max(0.0, elapsed - self._elapsed))

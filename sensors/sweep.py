"""Readers on one SPI bus polled together: the bus stays serial, the radio frames overlap.

Once told to transceive, an RC522 runs its radio exchange by itself: a frame and the
tag's answer are on air for 0.3-0.7 ms while that reader needs nothing from the bus.
A reader that can poll in steps (`SteppedReader`) yields the clock time at which it
next needs the bus; `poll_together` gives the bus to the next reader meanwhile and
comes back to each one when its time is due, so the radio time of a wall overlaps
instead of adding up reader after reader.
"""

import heapq
import itertools
import time
from collections.abc import Collection, Generator, Mapping
from typing import Protocol, TypeVar, runtime_checkable

from sensors.base import Reader

T = TypeVar("T")
Steps = Generator[float, None, T]  # yields "resume me at this clock time", returns the result
Outcome = frozenset[str] | Exception  # a poll's tags, or what it raised


class ReaderClock(Protocol):
    """The time readers wait on: monotonic seconds and a sleep.

    Not `board.core.clock.Clock` (the board's wall clock for what is stored): a reader
    only measures waits, and the emulated chip's time moves when a reader sleeps.
    """

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemReaderClock:
    """Real monotonic time and real sleep; tests and the benchmark pass `sensors.emulated.EmulatedClock` instead."""

    @staticmethod
    def now() -> float:
        return time.monotonic()

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(seconds)


@runtime_checkable
class SteppedReader(Reader, Protocol):
    """A reader whose poll can be run in steps, interleaved with other readers on its clock."""

    clock: ReaderClock
    shares_the_air: bool  # False: its field must be the only one on while it polls, so it polls alone

    def poll_steps(self) -> Steps[frozenset[str]]:
        """What `poll` does, yielding the clock time to be resumed at whenever it waits."""
        ...


def run_alone(steps: Steps[T], clock: ReaderClock) -> T:
    """Run steps with nothing to overlap them with: sleep through every wait."""
    while True:
        try:
            wake_at = next(steps)
        except StopIteration as done:
            return done.value
        _sleep_until(clock, wake_at)


class SweepPlan:
    """Which readers are interleaved on which clock, worked out once for a set of readers.

    `isinstance` against a runtime-checkable Protocol costs ~16 us a reader (Python
    3.11): asked every sweep it was most of an idle wall's CPU, so the scanner asks
    once, here, and reuses the plan for every sweep.
    """

    def __init__(self, readers: Mapping[str, Reader]):
        self._order = list(readers)
        self._alone: dict[str, Reader] = {}
        self._groups: dict[int, tuple[ReaderClock, dict[str, SteppedReader]]] = {}
        for name, reader in readers.items():
            if isinstance(reader, SteppedReader) and reader.shares_the_air:
                self._groups.setdefault(id(reader.clock), (reader.clock, {}))[1][name] = reader
            else:
                self._alone[name] = reader

    def poll(self, skip: Collection[str] = ()) -> dict[str, Outcome]:
        """Poll every reader but those in `skip` once; one reader's fault or bug never stops the others.

        Outcomes come back in the order the readers were given.
        """
        outcomes: dict[str, Outcome] = {}
        for name, reader in self._alone.items():
            if name in skip:
                continue
            try:
                outcomes[name] = reader.poll()
            except Exception as error:
                outcomes[name] = error
        for clock, group in self._groups.values():
            due = {name: reader for name, reader in group.items() if name not in skip} if skip else group
            if due:
                outcomes.update(_interleave(due, clock))
        return {name: outcomes[name] for name in self._order if name in outcomes}


def poll_together(readers: Mapping[str, Reader]) -> dict[str, Outcome]:
    """Poll every reader once: stepped readers that share the air and wait on the same clock
    interleaved, any other reader on its own. For one sweep; a scanner keeps a `SweepPlan`."""
    return SweepPlan(readers).poll()


def _interleave(readers: dict[str, SteppedReader], clock: ReaderClock) -> dict[str, Outcome]:
    """Start every reader's first frame, then resume whichever is due, earliest first.

    The clock sleeps only when every reader waits, until the earliest of them is due.
    """
    outcomes: dict[str, Outcome] = {}
    waiting: list[tuple[float, int, str, Steps[frozenset[str]]]] = []
    arrival = itertools.count()  # equal wake times resume in the order they were asked for

    def step(name: str, steps: Steps[frozenset[str]]) -> None:
        try:
            wake_at = next(steps)
        except StopIteration as done:
            outcomes[name] = done.value
        except Exception as error:
            outcomes[name] = error
        else:
            heapq.heappush(waiting, (wake_at, next(arrival), name, steps))

    for name, reader in readers.items():
        step(name, reader.poll_steps())
    while waiting:
        wake_at, _, name, steps = heapq.heappop(waiting)
        _sleep_until(clock, wake_at)
        step(name, steps)
    return outcomes


def _sleep_until(clock: ReaderClock, wake_at: float) -> None:
    delay = wake_at - clock.now()
    if delay > 0:
        clock.sleep(delay)

"""Drive a service on simulated readers and a fake clock, as fast as possible.

Used by `wallboard demo --scenario` and by tests: time moves in poll-interval steps
while a tag is halfway through its debounce, and jumps straight to the next
scenario line or deadline otherwise, so an hour-long scenario replays in moments.
"""

import json
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from board.core.clock import FakeClock, elapsed
from board.core.errors import WallboardError
from board.core.events import WallEvent
from board.wall.service import WallService
from sensors.sim import SimulatedReader


class ScenarioError(WallboardError, ValueError):
    """A scenario file line is not valid; the message names the line."""


class ScenarioStep(BaseModel):
    model_config = ConfigDict(extra="forbid")
    t: float = Field(ge=0, description="seconds from the start of the scenario")
    reader: str = Field(min_length=1, max_length=32)
    tags: list[str] = Field(max_length=16)


def read_scenario(path: Path, readers: dict[str, SimulatedReader]) -> list[ScenarioStep]:
    steps = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read scenario: {exc}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            step = ScenarioStep.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise ScenarioError(f"{path}:{number}: {_first_error(exc)}") from None
        if step.reader not in readers:
            raise ScenarioError(f"{path}:{number}: no reader {step.reader!r} on this wall")
        if steps and step.t < steps[-1].t:
            raise ScenarioError(f"{path}:{number}: t goes backwards ({step.t} < {steps[-1].t})")
        try:
            readers[step.reader].set_tags(step.tags)  # validates the UIDs now, not halfway
        except ValueError as exc:
            raise ScenarioError(f"{path}:{number}: {exc}") from None
        steps.append(step)
    for reader in readers.values():
        reader.set_tags(())
    return steps


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        return f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
    return f"not JSON: {exc}"


class Simulation:
    def __init__(self, service: WallService, readers: dict[str, SimulatedReader], clock: FakeClock):
        self.service = service
        self.readers = readers
        self.clock = clock
        self.interval = service.config.readers.poll_interval or 0.02

    def play(self, steps: list[ScenarioStep]) -> Iterator[WallEvent]:
        """Apply each step at its time and yield every event recorded on the way."""
        for step in steps:
            yield from self.advance_to(step.t)
            self.readers[step.reader].set_tags(step.tags)
        yield from self.settle()

    def advance_to(self, t: float) -> Iterator[WallEvent]:
        while True:
            yield from self._sweep()
            now = self.clock.monotonic()
            if now >= t and self.service.readers_settled:
                return
            if self.service.readers_settled:
                self.clock.advance(min(t - now, self._seconds_to_deadline()))
            else:
                self.clock.advance(self.interval)

    def settle(self) -> Iterator[WallEvent]:
        """Run until no tag is mid-debounce and no lifted card or pad window is pending."""
        yield from self.advance_to(self.clock.monotonic())
        while self.service.awaiting_time():
            yield from self.advance_to(self.clock.monotonic() + self._seconds_to_deadline())

    def _sweep(self) -> Iterator[WallEvent]:
        yield from self.service.sweep()

    def _seconds_to_deadline(self) -> float:
        """Time to the next moment something may happen: a service deadline or a reader retry."""
        waits = [float("inf")]
        if (deadline := self.service.next_deadline()) is not None:
            waits.append(elapsed(self.clock.now(), deadline).total_seconds())
        if (retry := self.service.next_reader_retry()) is not None:
            waits.append(retry - self.clock.monotonic())
        return max(self.interval, min(waits))

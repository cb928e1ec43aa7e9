"""A whole wall on simulated readers, a fake clock and a real SQLite file."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from board.app.config import load_config
from board.app.runtime import simulated_readers
from board.core.clock import FakeClock
from board.core.events import EventType, WallEvent
from board.dev.simulation import Simulation
from board.wall.service import WallService
from store.repository import Store

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MONDAY_9AM = datetime(2026, 11, 23, 9, 0, tzinfo=AMSTERDAM)

SMALL_WALL = """
board_id = "test"
timezone = "Europe/Amsterdam"
data_dir = "data"

[[levels]]
id = "A"
name = "Start"
slots = ["A1", "A2", "A3", "A4"]

[[levels]]
id = "B"
name = "Onderweg"
slots = ["B1", "B2", "B3", "B4"]

[[levels]]
id = "C"
name = "Top"
slots = ["C1", "C2", "C3", "C4"]

[rules]
default_goal = 5
"""

# Tags used across the tests.
SANNE, DAAN, ILSE = "04AA0000000001", "04AA0000000002", "04AA0000000003"
MO_BADGE, ILSE_BADGE = "C0AC0001", "C0AC0002"
STRANGER = "DEADBEEF"


class Wall:
    """Drive the real service through its simulated readers, as fast as possible."""

    def __init__(self, directory: Path, config_text: str = SMALL_WALL, start: datetime = MONDAY_9AM):
        self.directory = directory
        self.config_path = directory / "wallboard.toml"
        if not self.config_path.exists():
            self.config_path.write_text(config_text, encoding="utf-8")
        self.config = load_config(self.config_path)
        self.readers = simulated_readers(self.config)
        self.clock = FakeClock(start, self.config.tz)
        self.store = Store(self.config).open()
        self.service = WallService(self.config, self.store, self.readers, self.clock)
        self.service.tick()  # a running wall: its period is open
        self.simulation = Simulation(self.service, self.readers, self.clock)
        self.events: list[WallEvent] = []

    # -- people ---------------------------------------------------------------
    def add_people(self) -> dict[str, int]:
        ids = {
            name: self.service.add_person(name, card=card)
            for name, card in [("Sanne", SANNE), ("Daan", DAAN), ("Ilse", ILSE)]
        }
        self.service.add_coach("Mo", MO_BADGE)
        self.service.add_coach("Ilse", ILSE_BADGE, person_id=ids["Ilse"])
        return ids

    # -- the physical wall ------------------------------------------------------
    def show(self, reader: str, *uids: str) -> list[WallEvent]:
        """Make `reader` see exactly these tags, then let the scanner settle."""
        self.readers[reader].set_tags(uids)
        return self.wait(0)

    def wait(self, seconds: float) -> list[WallEvent]:
        recorded = list(self.simulation.advance_to(self.clock.monotonic() + seconds))
        self.events += recorded
        return recorded

    def tap(self, reader: str, *uids: str) -> list[WallEvent]:
        """Hold tags against a reader for a moment and take them away again."""
        before = self.readers[reader].tags
        recorded = self.show(reader, *before, *uids)
        self.readers[reader].set_tags(before)
        return recorded + self.wait(0)

    def slot_of(self, person_id: int) -> str | None:
        slot = self.service.snapshot()
        for level in slot.levels:
            for view in level.slots:
                if view.person and view.person.id == person_id:
                    return view.id
        return None

    def close(self) -> None:
        self.service.stop()
        self.store.close()


def types(events: list[WallEvent]) -> list[EventType]:
    return [event.type for event in events]

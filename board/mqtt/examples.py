"""Example events for the API docs, recorded by the real rules and store, not written
by hand: what the docs show is what a wall publishes."""

import tempfile
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from board.core.clock import FakeClock
from board.core.events import WallEvent
from board.core.settings import WallSettings
from board.wall.service import WallService
from sensors.events import TagGone, TagSeen
from store.repository import Store

SANNE_CARD, MO_BADGE = "04A21BC3D4E5F6", "04112233"


@cache
def recorded_events() -> tuple[WallEvent, ...]:
    """Sanne's polaroid hung in B3, then Mo's badge held against it: card_placed, attempt_confirmed."""
    zone = ZoneInfo("Europe/Amsterdam")
    with tempfile.TemporaryDirectory() as folder:
        config = WallSettings(data_dir=Path(folder), levels=[{"id": "B", "name": "Onderweg", "slots": ["B3"]}])
        clock = FakeClock(datetime(2025, 3, 12, 15, 4, tzinfo=zone), zone)
        with Store(config) as store:
            service = WallService(config, store, {}, clock)
            service.tick()
            service.add_person("Sanne de Vries", card=SANNE_CARD)
            service.add_coach("Mo Bakker", MO_BADGE)
            placed = service.handle(TagSeen("B3", SANNE_CARD))
            clock.advance(70)
            confirmed = service.handle(TagSeen("B3", MO_BADGE))
            service.handle(TagGone("B3", MO_BADGE))
            service.stop()
    return tuple(placed + confirmed)

"""Fixed board snapshots for screenshots, the benchmark and tests.

`sample_snapshot()` is the example wall of the docs: five levels of six
slots, people with and without photos, one unknown card, one offline reader.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from board.snapshot import (
    AttemptView, LevelView, PadWindowView, PeriodView, PersonView, SlotStatus, SlotView, Snapshot,
)

DEMO_PHOTOS = Path(__file__).with_name("demo_photos")
TZ = ZoneInfo("Europe/Amsterdam")
SAMPLE_NOW = datetime(2025, 5, 14, 14, 30, tzinfo=TZ)  # a Wednesday afternoon

LEVEL_NAMES = {
    "nl": ("Nieuwkomer", "Oefent", "Durft", "Doet het", "Coacht anderen"),
    "en": ("Newcomer", "Practising", "Dares", "Does it", "Coaches others"),
}
PEOPLE = (
    "Sanne de Vries", "Daan Jansen", "Fatima El Amrani", "Lucas Smit", "Emma Visser", "Noah Bakker",
    "Yara Haddad", "Sem de Boer", "Lotte Mulder", "Milan Kok", "Zoë Peters", "Ayoub Benali",
    "Julia Hendriks", "Finn de Graaf", "Nora Willems", "Levi Dekker", "Iris van Dijk", "Bram Vos",
    "Sara Yilmaz", "Thijs Meijer", "Amira Said", "Jesse Koster", "Fleur Prins", "Ruben Huisman",
)
COACHES = ("Mo", "Ilse", "Karim")
# Where each person hangs in the example wall: (level index from the bottom, slot number).
_PLACES = (
    (0, 0), (0, 1), (0, 2), (0, 4), (0, 5), (1, 0), (1, 1), (1, 3), (1, 4), (1, 5),
    (2, 0), (2, 1), (2, 2), (2, 3), (2, 5), (3, 0), (3, 2), (3, 3), (3, 4), (4, 1),
    (4, 3), (1, 2), (0, 3), (3, 5),
)


def slot_id(level_index: int, slot_index: int) -> str:
    """Level A is the bottom level: A1, A2 … then B1 …"""
    return f"{chr(ord('A') + level_index)}{slot_index + 1}"


def photo_for(name: str) -> str | None:
    path = DEMO_PHOTOS / f"{name.split()[0].lower().replace('ë', 'e')}.png"
    return str(path) if path.exists() else None


def wall(
    levels: Sequence[int] = (6, 6, 6, 6, 6),
    people: Mapping[str, PersonView] | None = None,
    *,
    unknown: Mapping[str, str] | None = None,
    offline: Sequence[str] = (),
    moved_at: Mapping[str, datetime] | None = None,
    count: int = 0,
    goal: int = 100,
    today: int = 0,
    recent: Sequence[AttemptView] = (),
    moved_up: Sequence[str] = (),
    pad_window: PadWindowView | None = None,
    message: str | None = None,
    language: str = "nl",
    now: datetime = SAMPLE_NOW,
    version: int = 1,
) -> Snapshot:
    """A snapshot of a wall with `levels[i]` slots on level i (bottom first)."""
    people, unknown, moved_at = people or {}, unknown or {}, moved_at or {}
    names = LEVEL_NAMES.get(language, LEVEL_NAMES["nl"])
    level_views = []
    for level_index, slot_count in enumerate(levels):
        slots = []
        for index in range(slot_count):
            sid = slot_id(level_index, index)
            if sid in offline:
                slots.append(SlotView(id=sid, status=SlotStatus.OFFLINE))
            elif sid in unknown:
                slots.append(SlotView(id=sid, status=SlotStatus.UNKNOWN, unknown_uid=unknown[sid]))
            elif sid in people:
                slots.append(SlotView(id=sid, status=SlotStatus.OCCUPIED, person=people[sid], moved_at=moved_at.get(sid)))
            else:
                slots.append(SlotView(id=sid, status=SlotStatus.EMPTY))
        name = names[level_index] if level_index < len(names) else f"Level {level_index + 1}"
        level_views.append(LevelView(id=chr(ord("A") + level_index), name=name, slots=tuple(slots)))
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    period = PeriodView(id=1, starts_at=monday, ends_at=monday + timedelta(days=7), goal=goal, count=count, today=today)
    return Snapshot(version=version, board_id="demo", language=language, now=now, levels=tuple(level_views),
                    period=period, recent_attempts=tuple(recent), moved_up=tuple(moved_up),
                    pad_window=pad_window, message=message,
                    offline_readers=tuple(offline))


def sample_people(count: int = len(PEOPLE)) -> dict[str, PersonView]:
    """The example crowd in their example slots; the last few have no photo."""
    people = {}
    for index, (name, place) in enumerate(zip(PEOPLE[:count], _PLACES)):
        photo = photo_for(name) if index < 16 else None
        people[slot_id(*place)] = PersonView(id=index + 1, name=name, photo=photo)
    return people


def sample_snapshot(language: str = "nl", now: datetime = SAMPLE_NOW) -> Snapshot:
    """The example wall mid-week: 37 of 100 attempts, a few fresh moves."""
    recent = tuple(
        AttemptView(id=40 - i, person=PEOPLE[i * 3 % len(PEOPLE)].split()[0], coach=COACHES[i % 3],
                    at=now - timedelta(minutes=7 + 41 * i))
        for i in range(8)
    )
    return wall(
        people=sample_people(),
        unknown={"E5": "04A21B7C3D5E80"},
        offline=("C5",),
        moved_at={"D1": now - timedelta(hours=2), "C3": now - timedelta(hours=20), "E2": now - timedelta(hours=5)},
        count=37, goal=100, today=6, recent=recent,
        moved_up=("Sanne", "Lucas", "Yara", "Milan"),
        language=language, now=now,
    )

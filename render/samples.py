"""Fixed board snapshots for screenshots, the benchmark and tests.

`sample_snapshot()` is the example wall of the docs: five levels of six
slots, people with and without photos, one unknown card, one offline reader.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from board.core.snapshot import (
    AttemptView,
    LevelView,
    PadWindowView,
    PeriodView,
    PersonView,
    SlotStatus,
    SlotView,
    Snapshot,
)

DEMO_PHOTOS = Path(__file__).with_name("demo_photos")
TZ = ZoneInfo("Europe/Amsterdam")
SAMPLE_NOW = datetime(2025, 5, 14, 14, 30, tzinfo=TZ)  # a Wednesday afternoon

LEVEL_NAMES = {
    "nl": ("Nieuwkomer", "Oefent", "Durft", "Doet het", "Coacht anderen"),
    "en": ("Newcomer", "Practising", "Dares", "Does it", "Coaches others"),
}
PEOPLE = (
    "Sanne de Vries",
    "Daan Jansen",
    "Fatima El Amrani",
    "Lucas Smit",
    "Emma Visser",
    "Noah Bakker",
    "Yara Haddad",
    "Sem de Boer",
    "Lotte Mulder",
    "Milan Kok",
    "Zoë Peters",
    "Ayoub Benali",
    "Julia Hendriks",
    "Finn de Graaf",
    "Nora Willems",
    "Levi Dekker",
    "Jeroen Smits",
    "Priya Sharma",
    "Bram Vos",
    "Ayla Demir",
    "Tim Bos",
    "Youssef Amrani",
    "Iris van Dijk",
    "Sara Yilmaz",
    "Thijs Meijer",
    "Amira Said",
    "Jesse Koster",
    "Fleur Prins",
)
COACHES = ("Mo", "Ilse", "Karim")
UNKNOWN_SLOT, OFFLINE_SLOT = "E5", "C5"


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
    people_tried: int = 0,
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
                slots.append(SlotView(id=sid, status=SlotStatus.OFFLINE, person=people.get(sid)))
            elif sid in unknown:
                slots.append(SlotView(id=sid, status=SlotStatus.UNKNOWN, unknown_uid=unknown[sid]))
            elif sid in people:
                slots.append(
                    SlotView(id=sid, status=SlotStatus.OCCUPIED, person=people[sid], moved_at=moved_at.get(sid))
                )
            else:
                slots.append(SlotView(id=sid, status=SlotStatus.EMPTY))
        name = names[level_index] if level_index < len(names) else f"Level {level_index + 1}"
        level_views.append(LevelView(id=chr(ord("A") + level_index), name=name, slots=tuple(slots)))
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    period = PeriodView(
        id=1,
        starts_at=monday,
        ends_at=monday + timedelta(days=7),
        goal=goal,
        count=count,
        today=today,
        people_tried=people_tried,
        people=len(people),
    )
    return Snapshot(
        version=version,
        board_id="demo",
        language=language,
        now=now,
        levels=tuple(level_views),
        period=period,
        recent_attempts=tuple(recent),
        moved_up=tuple(moved_up),
        pad_window=pad_window,
        message=message,
        offline_readers=tuple(offline),
    )


def sample_people(
    levels: Sequence[int] = (6, 6, 6, 6, 6),
    skip: Sequence[str] = (UNKNOWN_SLOT, OFFLINE_SLOT),
    with_photos: bool = True,
) -> dict[str, PersonView]:
    """The example crowd filling every slot but `skip`, bottom level first; the last few lack a photo."""
    slots = [slot_id(level, index) for level, count in enumerate(levels) for index in range(count)]
    people = {}
    for number, sid in enumerate(s for s in slots if s not in skip):
        name = PEOPLE[number % len(PEOPLE)]
        photo = photo_for(name) if with_photos and number < 22 else None
        people[sid] = PersonView(id=number + 1, name=name, photo=photo)
    return people


def sample_snapshot(language: str = "nl", now: datetime = SAMPLE_NOW) -> Snapshot:
    """The example wall, full, mid-week: 37 of 100 attempts, a few fresh moves."""
    recent = tuple(
        AttemptView(
            id=40 - i,
            person=PEOPLE[i * 3 % len(PEOPLE)].split()[0],
            coach=COACHES[i % 3],
            at=now - timedelta(minutes=7 + 41 * i),
        )
        for i in range(8)
    )
    return wall(
        people=sample_people(),
        unknown={UNKNOWN_SLOT: "04A21B7C3D5E80"},
        offline=(OFFLINE_SLOT,),
        moved_at={"D1": now - timedelta(hours=2), "C3": now - timedelta(hours=20), "E2": now - timedelta(hours=5)},
        count=37,
        goal=100,
        today=6,
        recent=recent,
        moved_up=("Sanne", "Lucas", "Yara", "Milan"),
        language=language,
        now=now,
    )

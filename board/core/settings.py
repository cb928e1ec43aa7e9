"""The settings the wall's rules and record need, whatever hardware the wall runs on.

`board.app.config.Config` adds the sections of the readers' wiring, MQTT, the
screen and the LEDs; the domain, the store and a collector elsewhere need only these.
"""

from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

PAD = "pad"  # the reader id of the coach pad; no slot may use it
_ID = r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,31}$"
SlotId = Annotated[str, Field(pattern=_ID)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Weekday(StrEnum):
    """A day of the week, the one vocabulary of every part of the config.

    Written in full ("monday"); the first three letters ("mon") are read too, as the
    `[[display.night]]` days were once written.
    """

    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"

    @classmethod
    def _missing_(cls, value: object) -> "Weekday | None":
        return next((day for day in cls if isinstance(value, str) and day.value[:3] == value), None)

    @classmethod
    def of(cls, day: date) -> "Weekday":
        return list(cls)[day.weekday()]

    @property
    def number(self) -> int:
        """0 for Monday, as `date.weekday()` counts."""
        return list(Weekday).index(self)


class Level(Section):
    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1, max_length=40)
    slots: list[SlotId] = Field(min_length=1, max_length=64)


# Older configs counted the debounce in sweeps (`present_after = 2`, `gone_after = 12`);
# they are read as that many sweeps of a wall swept every this many seconds at least.
LEGACY_SWEEP_SECONDS = 0.05


class Scanning(Section):
    """How the readers are scanned, and whether there is a coach pad; their wiring is the app's.

    Thresholds are in seconds, not sweeps, so the debounce does not change with the
    pause: the scanner sweeps every `poll_interval` while anything moves and every
    `idle_poll_interval` once nothing has for `stay_fast_for` seconds. `recheck_cards_every`
    (off by default) is a technician's trade: less CPU on a quiet wall for a slower badge.
    """

    coach_pad: bool = True
    # A tag counts as present once polls have seen it without a miss for this long (0: the first poll)...
    present_after_seconds: float = Field(default=0.02, ge=0.0, le=5.0)
    # ...and as gone once polls have missed it without a hit for this long. Fast sweeps run
    # meanwhile (a miss is motion), so a reader that misses a card 30 % of the time at
    # ~50 ms a sweep needs ~12 misses in a row: once in 0.3**12 ≈ 1.9 M polls.
    gone_after_seconds: float = Field(default=0.6, gt=0.0, le=60.0)
    poll_interval: float = Field(
        default=0.02, ge=0.0, le=5.0, description="seconds between sweeps while anything moves"
    )
    idle_poll_interval: float = Field(
        default=0.25, ge=0.0, le=5.0, description="seconds between sweeps while nothing moves"
    )
    stay_fast_for: float = Field(
        default=5.0, ge=0.0, le=3600, description="seconds of fast sweeps after the last change a reader saw"
    )
    recheck_cards_every: float = Field(
        default=0.0,
        ge=0.0,
        le=5.0,
        description=(
            "0: every sweep re-checks every card. Else, on a quiet wall, a reader whose cards are settled"
            " is re-checked once this many seconds passed since its last poll (empty slots: every sweep):"
            " 0.5 keeps a quiet 48-slot wall under 15 % of a Pi 3 core, but a badge held against a card"
            " is noticed within ~0.69 s instead of ~0.40 s, a card taken off within ~1.2 s instead of ~0.9 s"
        ),
    )
    retry_min: float = Field(default=1.0, gt=0, le=600, description="first retry of a failed reader, seconds")
    retry_max: float = Field(default=60.0, gt=0, le=3600)

    @model_validator(mode="before")
    @classmethod
    def _sweeps_to_seconds(cls, data: object) -> object:
        """`present_after`/`gone_after` in sweeps (older configs) become seconds; both forms at once is an error."""
        if not isinstance(data, dict) or not {"present_after", "gone_after"} & data.keys():
            return data
        data = dict(data)
        raw_pause = data.get("poll_interval", 0.02)
        pause = max(raw_pause if isinstance(raw_pause, int | float) else 0.0, LEGACY_SWEEP_SECONDS)
        # n sightings span n - 1 sweeps; n misses are read as n sweeps (the old default, 12, as ~0.6 s)
        for old, new, extra_sweeps in (
            ("present_after", "present_after_seconds", -1),
            ("gone_after", "gone_after_seconds", 0),
        ):
            if old not in data:
                continue
            sweeps = data.pop(old)
            if new in data:
                raise ValueError(f"{old} (sweeps, older configs) and {new} both given: keep only {new}")
            if isinstance(sweeps, bool) or not isinstance(sweeps, int) or not 1 <= sweeps <= 500:
                raise ValueError(f"{old} counts sweeps (1-500) in older configs; write {new} in seconds instead")
            data[new] = round((sweeps + extra_sweeps) * pause, 3)
        return data


class PeriodLength(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class Rules(Section):
    move_window: float = Field(default=15.0, gt=0, le=600, description="seconds a lifted card may travel")
    duplicate_window: float = Field(default=60.0, ge=0, le=86400)
    confirm_window: float = Field(default=20.0, gt=0, le=600, description="coach pad window, seconds")
    slot_confirm: bool = True
    pad_confirm: bool = True
    period: PeriodLength = PeriodLength.WEEK
    period_start: Weekday = Weekday.MONDAY
    default_goal: int = Field(default=50, ge=0, le=1_000_000)
    coach_limit: int = Field(
        default=40,
        ge=1,
        le=10_000,
        description="people one coach may confirm within coach_limit_window; more is an anomaly",
    )
    coach_limit_window: float = Field(default=600.0, gt=0, le=86400, description="seconds")

    @property
    def move(self) -> timedelta:
        return timedelta(seconds=self.move_window)

    @property
    def duplicate(self) -> timedelta:
        return timedelta(seconds=self.duplicate_window)

    @property
    def confirm(self) -> timedelta:
        return timedelta(seconds=self.confirm_window)


class AwardKind(StrEnum):
    """The awards of a harvest, in the order they are handed out."""

    TEAM = "team"
    CLIMBER = "climber"
    MOST_ATTEMPTS = "most_attempts"
    FIRST_ATTEMPT = "first_attempt"
    COACH = "coach"
    STREAK = "streak"


class AwardSetting(Section):
    enabled: bool = True
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=60,
        description="shown on the screen and the report; default: the wall's language's name",
    )


class Awards(Section):
    team: AwardSetting = AwardSetting()
    climber: AwardSetting = AwardSetting()
    most_attempts: AwardSetting = AwardSetting()
    first_attempt: AwardSetting = AwardSetting()
    coach: AwardSetting = AwardSetting()
    streak: AwardSetting = AwardSetting()

    def setting(self, kind: AwardKind) -> AwardSetting:
        setting: AwardSetting = getattr(self, kind.value)
        return setting


WORKING_WEEK = (Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY)


class HarvestSettings(Section):
    """The look back at a period that has ended (the "oogst")."""

    show_hours: float = Field(
        default=4.0, ge=0, le=168, description="the screen shows last period's harvest this long into a new one"
    )
    working_days: list[Weekday] = Field(default=list(WORKING_WEEK), min_length=1, max_length=7)
    journey_seconds: float = Field(
        default=8.0,
        ge=0,
        le=120,
        description="how long someone's own journey shows after they tap their card on the pad",
    )
    awards: Awards = Awards()


class StoreSettings(Section):
    # SQLite only: the engine's pragmas and the single-writer design rely on it.
    url: str | None = Field(default=None, description="sqlite:///path; default <data_dir>/wallboard.db")

    @field_validator("url")
    @classmethod
    def _sqlite_only(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith("sqlite:///"):
            raise ValueError("only sqlite:///<path> URLs are supported")
        return url


def known_timezone(name: str) -> str:
    """A time zone's name, checked (the wall's config and the company dashboard's)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {name!r} (use a name like Europe/Amsterdam)") from None
    return name


class WallSettings(Section):
    board_id: str = Field(default="wall", pattern=_ID)
    language: Literal["nl", "en"] = "nl"
    timezone: str = "Europe/Amsterdam"
    data_dir: Path = Path("data")
    levels: list[Level] = Field(min_length=1, max_length=16)
    readers: Scanning = Scanning()
    rules: Rules = Rules()
    harvest: HarvestSettings = HarvestSettings()
    store: StoreSettings = StoreSettings()

    _known_timezone = field_validator("timezone")(known_timezone)

    @model_validator(mode="after")
    def _unique_ids(self) -> "WallSettings":
        seen: set[str] = set()
        for level in self.levels:
            for slot in level.slots:
                if slot == PAD:
                    raise ValueError(f"slot id {PAD!r} is reserved for the coach pad")
                if slot in seen:
                    raise ValueError(f"slot {slot!r} appears twice")
                seen.add(slot)
        level_ids = [level.id for level in self.levels]
        if len(set(level_ids)) != len(level_ids):
            raise ValueError("level ids must be unique")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def slot_ids(self) -> list[str]:
        return [slot for level in self.levels for slot in level.slots]

    @property
    def reader_ids(self) -> list[str]:
        return self.slot_ids + ([PAD] if self.readers.coach_pad else [])

    def level_of(self, slot_id: str) -> int:
        """Index of the slot's level, 0 = bottom."""
        for index, level in enumerate(self.levels):
            if slot_id in level.slots:
                return index
        raise KeyError(slot_id)

    @property
    def photos_dir(self) -> Path:
        return self.data_dir / "photos"

    @property
    def database_url(self) -> str:
        return self.store.url or f"sqlite:///{self.data_dir / 'wallboard.db'}"

    @property
    def database_path(self) -> Path:
        """The database file (`database_url` is always sqlite:///path)."""
        return Path(self.database_url.removeprefix("sqlite:///"))

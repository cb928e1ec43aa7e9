"""The board's TOML config, validated with pydantic.

Every problem in the file is reported at start, each naming the field and the line
it is on, and the service never starts half-configured.
"""

import re
import tomllib
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from board.errors import ConfigError
from board.mqtt.config import MqttConfig
from render.config import DisplayConfig, LedConfig
from sensors.hardware import ReadersConfig
from sensors.pins import WHOLE_CONFIG, PinUse, pin_clashes

PAD = "pad"  # the reader id of the coach pad; no slot may use it
_ID = r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,31}$"
SlotId = Annotated[str, Field(pattern=_ID)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Weekday(StrEnum):
    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"

    @property
    def index(self) -> int:
        return list(Weekday).index(self)


class Level(Section):
    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1, max_length=40)
    slots: list[SlotId] = Field(min_length=1, max_length=64)


class Readers(ReadersConfig):
    """How the readers are wired (`ReadersConfig`: kind, SPI, reset, wiring) and how they are scanned."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    coach_pad: bool = True
    # A tag counts as present after this many consecutive polls that see it...
    present_after: int = Field(default=2, ge=1, le=50)
    # ...and as gone after this many consecutive polls that miss it. With 24 slots
    # swept every ~50 ms, 12 misses notice a lifted card in ~0.6 s, while a reader
    # that misses a card 30 % of the time fakes a removal only once in 0.3**12 ≈ 1.9 M polls.
    gone_after: int = Field(default=12, ge=1, le=500)
    poll_interval: float = Field(default=0.02, ge=0.0, le=5.0, description="seconds between sweeps")
    retry_min: float = Field(default=1.0, gt=0, le=600, description="first retry of a failed reader, seconds")
    retry_max: float = Field(default=60.0, gt=0, le=3600)


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

    @property
    def move(self) -> timedelta:
        return timedelta(seconds=self.move_window)

    @property
    def duplicate(self) -> timedelta:
        return timedelta(seconds=self.duplicate_window)

    @property
    def confirm(self) -> timedelta:
        return timedelta(seconds=self.confirm_window)


class Store(Section):
    # SQLite only: the engine's pragmas and the single-writer design rely on it.
    url: str | None = Field(default=None, description="sqlite:///path; default <data_dir>/wallboard.db")

    @field_validator("url")
    @classmethod
    def _sqlite_only(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith("sqlite:///"):
            raise ValueError("only sqlite:///<path> URLs are supported")
        return url


class Config(Section):
    board_id: str = Field(default="wall", pattern=_ID)
    language: Literal["nl", "en"] = "nl"
    timezone: str = "Europe/Amsterdam"
    data_dir: Path = Path("data")
    levels: list[Level] = Field(min_length=1, max_length=16)
    readers: Readers = Readers()
    rules: Rules = Rules()
    store: Store = Store()
    mqtt: MqttConfig = MqttConfig()
    display: DisplayConfig = DisplayConfig()
    leds: LedConfig = LedConfig()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {name!r} (use a name like Europe/Amsterdam)") from None
        return name

    @model_validator(mode="after")
    def _unique_ids(self) -> "Config":
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

    @model_validator(mode="after")
    def _every_reader_wired(self) -> "Config":
        """Hardware readers: exactly one wiring entry per slot, and one for the pad if there is one."""
        if self.readers.kind == "sim":
            return self
        wired, wanted = set(self.readers.wiring), set(self.reader_ids)
        if missing := [reader_id for reader_id in self.reader_ids if reader_id not in wired]:
            raise ValueError(f"readers.wiring has no entry for {', '.join(missing)}")
        if extra := sorted(wired - wanted):
            raise ValueError(f"readers.wiring names {', '.join(extra)}: not a slot, nor the pad (coach_pad = true)")
        return self

    def pin_uses(self) -> list[PinUse]:
        """Every GPIO the wall takes: the readers' lines (real readers only), the LEDs and the buzzer."""
        readers = self.readers.pin_uses() if self.readers.kind != "sim" else []
        return readers + self.leds.pin_uses()

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


def load_config(path: str | Path) -> Config:
    """Read and validate a config file; raise ConfigError listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: config file is not UTF-8 text") from None
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> Config:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    lines = _KeyLines(text)
    try:
        config = Config.model_validate(raw, context={WHOLE_CONFIG: True})
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "(top level)"
            line = lines.find(error["loc"])
            where = f"line {line}: " if line else ""
            problems.append(f"  {where}{field}: {error['msg']}")
        raise ConfigError(f"{path}: {len(problems)} problem(s):\n" + "\n".join(problems)) from None
    if clashes := pin_clashes(config.pin_uses()):
        problems = [f"  {clash.describe(lines.lines.get)}" for clash in clashes]
        raise ConfigError(f"{path}: {len(problems)} pin(s) used twice:\n" + "\n".join(problems))
    # Relative paths are relative to the config file, so the service can be
    # started from any working directory.
    base = path.resolve().parent
    updates = {"data_dir": base / config.data_dir}
    if config.store.url:
        db_path = Path(config.store.url.removeprefix("sqlite:///"))
        updates["store"] = Store(url=f"sqlite:///{base / db_path}")
    return config.model_copy(update=updates)


class _KeyLines:
    """Maps TOML key paths (as pydantic reports them) to the line they are on."""

    _TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\s*(#.*)?$")
    _ARRAY_TABLE = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]\s*(#.*)?$")
    _KEY = re.compile(r"^\s*\"?([A-Za-z0-9_\-]+)\"?\s*=")

    def __init__(self, text: str):
        self.lines: dict[tuple, int] = {}
        table: tuple = ()
        array_counts: dict[tuple, int] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if match := self._ARRAY_TABLE.match(line):
                name = tuple(match.group(1).split("."))
                index = array_counts.get(name, -1) + 1
                array_counts[name] = index
                table = name + (index,)
                self.lines.setdefault(table, number)
            elif match := self._TABLE.match(line):
                table = tuple(match.group(1).split("."))
                self.lines.setdefault(table, number)
            elif match := self._KEY.match(line):
                self.lines.setdefault(table + (match.group(1),), number)

    def find(self, loc: tuple) -> int | None:
        """The line of the longest known prefix of `loc`."""
        for end in range(len(loc), 0, -1):
            if (line := self.lines.get(tuple(loc[:end]))) is not None:
                return line
        return None

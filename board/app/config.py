"""The board's TOML config, validated with pydantic.

Every problem in the file is reported at start, each naming the field and the line
it is on, and the service never starts half-configured.
"""

import re
import tomllib
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from board.core.errors import ConfigError
from board.core.pins import WHOLE_CONFIG, PinUse, pin_clashes
from board.core.settings import Scanning, StoreSettings, WallSettings
from board.mqtt.config import MqttConfig
from render.config import DisplayConfig, LedConfig
from sensors.hardware import ReadersConfig

M = TypeVar("M", bound=BaseModel)


class Readers(ReadersConfig, Scanning):
    """How the readers are wired (`ReadersConfig`: kind, SPI, reset, wiring) and how they are scanned."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Config(WallSettings):
    """The whole config file: the wall's settings plus its hardware and MQTT sections."""

    readers: Readers = Readers()
    mqtt: MqttConfig = MqttConfig()
    display: DisplayConfig = DisplayConfig()
    leds: LedConfig = LedConfig()

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
        """Every GPIO the wall takes: the readers' lines (real readers only), the LEDs, the buzzer and a sun."""
        readers = self.readers.pin_uses() if self.readers.kind != "sim" else []
        return readers + self.leds.pin_uses() + self.display.pin_uses()


def load_config(path: str | Path) -> Config:
    """Read and validate a config file; raise ConfigError listing every problem."""
    path = Path(path)
    return parse_config(read_config_text(path), path)


def read_config_text(path: Path) -> str:
    """A config file's text, or a ConfigError saying why it cannot be read (any config file of the project)."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: config file is not UTF-8 text") from None


def validate_toml(model: type[M], text: str, path: Path, context: dict | None = None) -> M:
    """TOML text validated as `model`, or a ConfigError listing every problem with its field and line."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        return model.model_validate(raw, context=context)
    except ValidationError as exc:
        raise ConfigError(_problems_report(exc, text, path)) from None


def parse_config(text: str, path: Path) -> Config:
    config = validate_toml(Config, text, path, context={WHOLE_CONFIG: True})
    lines = _KeyLines(text)
    if clashes := pin_clashes(config.pin_uses()):
        problems = [f"  {clash.describe(lines.lines.get)}" for clash in clashes]
        raise ConfigError(f"{path}: {len(problems)} pin(s) used twice:\n" + "\n".join(problems))
    # Relative paths are relative to the config file, so the service can be
    # started from any working directory.
    base = path.resolve().parent
    updates = {"data_dir": base / config.data_dir}
    if config.store.url:
        db_path = Path(config.store.url.removeprefix("sqlite:///"))
        updates["store"] = StoreSettings(url=f"sqlite:///{base / db_path}")
    return config.model_copy(update=updates)


def _problems_report(exc: ValidationError, text: str, path: Path) -> str:
    """Every problem pydantic found in a TOML file, each with its field and line."""
    lines = _KeyLines(text)
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "(top level)"
        line = lines.find(error["loc"])
        where = f"line {line}: " if line else ""
        problems.append(f"  {where}{field}: {error['msg']}")
    return f"{path}: {len(problems)} problem(s):\n" + "\n".join(problems)


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

"""The one gpiozero pin factory of the process, for the readers' lines and the LED column alike.

gpiozero would pick a factory on its own, per device, and silently fall back from
one library to the next; on a Pi 5 RPi.GPIO does not work at all, and an LED column
on mock pins looks like a working one. So the choice is made once, here, and said:
- `GPIOZERO_PIN_FACTORY` wins when set ("mock" gives mock pins that can do PWM);
- on a Raspberry Pi, lgpio (it talks to /dev/gpiochip*, which every Pi from the
  3B+ to the 5 has on Bookworm);
- anywhere else, mock pins, logged as "not a Raspberry Pi".
"""

import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from gpiozero.pins.mock import MockFactory, MockPWMPin

from board.core.errors import ConfigError

log = logging.getLogger(__name__)

# Validation context key: the whole config checks pins across sections, with lines (board/config.py).
WHOLE_CONFIG = "whole_config"
_PIN_NAME = re.compile(r"(?:GPIO|BCM)?(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class PinUse:
    """One GPIO taken for one purpose; `key` is the config key that says so (for its line number)."""

    pin: int | str
    role: str
    key: tuple[str, ...]

    @property
    def bcm(self) -> int | str:
        """The BCM number for 17, "GPIO17" or "BCM17"; other gpiozero names (BOARD11) as written."""
        match = _PIN_NAME.fullmatch(str(self.pin).strip())
        return int(match[1]) if match else str(self.pin)


@dataclass(frozen=True)
class PinClash:
    pin: int | str
    uses: tuple[PinUse, ...]

    def describe(self, line_of: Callable[[tuple[str, ...]], int | None] | None = None) -> str:
        """Each use with its key; given `line_of`, with its line, or "the default" for a key not in the file."""
        def where(use: PinUse) -> str:
            key = ".".join(use.key)
            if line_of is None:
                return f"{use.role} ({key})"
            line = line_of(use.key)
            return f"{use.role} (line {line}: {key})" if line else f"{use.role} ({key}, the default)"

        name = f"GPIO{self.pin}" if isinstance(self.pin, int) else self.pin
        return f"{name} is wired twice: " + ", ".join(where(use) for use in self.uses)


def pin_clashes(uses: list[PinUse]) -> list[PinClash]:
    """Every pin taken more than once, with all its uses, in the order they were listed."""
    by_pin: dict[int | str, list[PinUse]] = {}
    for use in uses:
        by_pin.setdefault(use.bcm, []).append(use)
    return [PinClash(pin, tuple(taken)) for pin, taken in by_pin.items() if len(taken) > 1]


def first_clash(uses: list[PinUse]) -> PinClash | None:
    clashes = pin_clashes(uses)
    return clashes[0] if clashes else None


def checks_pins_itself(info) -> bool:
    """Whether a section's validator can leave pin clashes to the whole config's check."""
    return bool(info.context and info.context.get(WHOLE_CONFIG))

DEVICE_TREE_MODEL = Path("/proc/device-tree/model")


def board_model(model_file: Path = DEVICE_TREE_MODEL) -> str | None:
    """The board's name from the device tree ("Raspberry Pi 5 Model B Rev 1.0"), None if there is none."""
    try:
        return model_file.read_text(errors="replace").rstrip("\x00\n") or None
    except OSError:
        return None


def is_raspberry_pi(model: str | None) -> bool:
    return model is not None and model.startswith("Raspberry Pi")


def choose_pin_factory(environ: Mapping[str, str] = os.environ, model_file: Path = DEVICE_TREE_MODEL):
    """Make the process's pin factory, saying which one and why."""
    asked = environ.get("GPIOZERO_PIN_FACTORY")
    model = board_model(model_file)
    if asked == "mock":
        log.info("GPIO: mock pins, as GPIOZERO_PIN_FACTORY=mock asks")
        return MockFactory(pin_class=MockPWMPin)
    if asked:
        factory = _made(lambda: _named_factory(asked), f"GPIOZERO_PIN_FACTORY={asked}")
    elif is_raspberry_pi(model):
        factory = _made(_lgpio_factory, f"lgpio on a {model}")
    else:
        log.warning("GPIO: not a Raspberry Pi (%s): readers' lines and LEDs use gpiozero's mock pins",
                    model or f"no {model_file}")
        return MockFactory(pin_class=MockPWMPin)
    log.info("GPIO: %s pins (%s)", type(factory).__name__, asked or model)
    return factory


def _named_factory(name: str):
    """The factory gpiozero registers under `name` (lgpio, rpigpio, pigpio, native), as gpiozero would find it."""
    for candidate in (name, name.lower()):
        for entry_point in entry_points(group="gpiozero_pin_factories", name=candidate):
            return entry_point.load()()
    raise ValueError(f"gpiozero knows no pin factory {name!r}")


def _lgpio_factory():
    from gpiozero.pins.lgpio import LGPIOFactory

    return LGPIOFactory()


def _made(make, what: str):
    try:
        return make()
    except ImportError as error:
        raise ConfigError(f"GPIO: cannot use {what}: {error}. Reinstall with deploy/install.sh, "
                          "which builds lgpio into the wall's venv") from error
    except Exception as error:  # gpiozero raises its own errors and OSError from the chip
        raise ConfigError(f"GPIO: cannot use {what}: {error}. Is this user in group gpio "
                          "(ls -l /dev/gpiochip*)?") from error

"""A GPIO taken for a purpose, and the check that no pin is taken twice.

The readers, the LED column and the buzzer each say which pins they take; the
whole config (board/app/config.py) puts them together and names the line of each
use when two meet. A section validated on its own checks just its own pins.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationInfo

# Validation context key: the whole config checks pins across sections, with lines (board/app/config.py).
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


def checks_pins_itself(info: ValidationInfo) -> bool:
    """Whether a section's validator can leave pin clashes to the whole config's check."""
    return bool(info.context and info.context.get(WHOLE_CONFIG))

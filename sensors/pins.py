"""The one gpiozero pin factory of the process, for the readers' lines and the LED column alike.

gpiozero would pick a factory on its own, per device, and silently fall back from
one library to the next; on a Pi 5 RPi.GPIO does not work at all, and an LED column
on mock pins looks like a working one. So the choice is made once, here, and said:
- `GPIOZERO_PIN_FACTORY` wins when set ("mock" gives mock pins that can do PWM);
- on a Raspberry Pi, lgpio (it talks to /dev/gpiochip*, which every Pi from the
  3B+ to the 5 has on Bookworm);
- anywhere else, mock pins, logged as "not a Raspberry Pi".
"""

import functools
import logging
import os
from collections.abc import Mapping
from importlib.metadata import entry_points
from pathlib import Path

from gpiozero.pins.mock import MockFactory, MockPWMPin

from board.core.errors import ConfigError

log = logging.getLogger(__name__)

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
        log.warning(
            "GPIO: not a Raspberry Pi (%s): readers' lines and LEDs use gpiozero's mock pins",
            model or f"no {model_file}",
        )
        return MockFactory(pin_class=MockPWMPin)
    log.info("GPIO: %s pins (%s)", type(factory).__name__, asked or model)
    return factory


@functools.cache
def process_pin_factory():
    """The process's pin factory, chosen (and logged) once, for readers and LEDs alike."""
    return choose_pin_factory()


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
        raise ConfigError(
            f"GPIO: cannot use {what}: {error}. Reinstall with deploy/install.sh, "
            "which builds lgpio into the wall's venv"
        ) from error
    except Exception as error:  # gpiozero raises its own errors and OSError from the chip
        raise ConfigError(
            f"GPIO: cannot use {what}: {error}. Is this user in group gpio (ls -l /dev/gpiochip*)?"
        ) from error

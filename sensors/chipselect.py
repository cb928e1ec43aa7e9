"""How one reader on a shared SPI bus is told "this transfer is for you".

Three wirings, all a config choice because boards and kernels differ:
- hardware CE0/CE1 (or more with a `cs-gpios` overlay): the kernel drives the line
  around each transfer on /dev/spidevB.N; nothing to do here;
- one GPIO per reader: spidev in no_cs mode, and we drive the line low around each
  transfer through gpiozero;
- a 3-to-8 (74HC138) or 4-to-16 (74HC154) decoder: GPIO address lines pick the
  output; its enable input is either a CE line (the kernel gates it) or a GPIO.

Every GPIO goes through gpiozero with an injectable `pin_factory`, so tests use
MockFactory and production the default factory.
"""

import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager

from gpiozero import OutputDevice


class SharedDevice(ABC):
    """Hardware several readers use; really closed when the last of them lets go."""

    def __init__(self) -> None:
        self._users = 0
        self._users_lock = threading.Lock()

    def attach(self):
        with self._users_lock:
            self._users += 1
        return self

    def detach(self) -> None:
        with self._users_lock:
            self._users -= 1
            last = self._users == 0
        if last:
            self._release()

    @abstractmethod
    def _release(self) -> None:
        """Close the hardware; called once, after the last user detached."""


class HardwareChipSelect(AbstractContextManager):
    """CE line driven by the kernel for transfers on /dev/spidevB.N."""

    def __init__(self, device: int):
        self.device = device
        self.label = f"CE{device}"

    def __exit__(self, *exc_info) -> None:
        return None

    def close(self) -> None:
        return None


class GpioChipSelect(AbstractContextManager):
    """A GPIO line per reader, low (active) only while a transfer is in flight."""

    def __init__(self, pin: int, *, pin_factory=None):
        self.label = f"GPIO{pin}"
        self._line = OutputDevice(pin, active_high=False, initial_value=False, pin_factory=pin_factory)

    def __enter__(self):
        self._line.on()
        return self

    def __exit__(self, *exc_info) -> None:
        self._line.off()

    def close(self) -> None:
        self._line.close()


class DecoderLines(SharedDevice):
    """The address lines (and optional GPIO enable) of a 74HC138/74HC154 shared by its readers.

    Address lines change only while the decoder is disabled, so no other reader is
    selected for a moment: with a GPIO enable we drop it first; with a CE enable the
    kernel keeps it high between transfers.
    """

    def __init__(self, address_pins: Sequence[int], *, enable_pin: int | None = None, pin_factory=None):
        super().__init__()
        self.outputs = 1 << len(address_pins)
        self._address = [OutputDevice(pin, initial_value=False, pin_factory=pin_factory) for pin in address_pins]
        self._enable = (
            OutputDevice(enable_pin, active_high=False, initial_value=False, pin_factory=pin_factory)
            if enable_pin is not None
            else None
        )

    def select(self, index: int) -> None:
        if self._enable is not None:
            self._enable.off()
        for bit, line in enumerate(self._address):
            line.value = (index >> bit) & 1
        if self._enable is not None:
            self._enable.on()

    def deselect(self) -> None:
        if self._enable is not None:
            self._enable.off()

    def _release(self) -> None:
        for line in [*self._address, *([self._enable] if self._enable else [])]:
            line.close()


class DecoderChipSelect(AbstractContextManager):
    """Output `index` of a shared decoder."""

    def __init__(self, lines: DecoderLines, index: int):
        if not 0 <= index < lines.outputs:
            raise ValueError(f"decoder output {index} does not exist; it has {lines.outputs}")
        self.label = f"DEC{index}"
        self._lines = lines.attach()
        self._index = index
        self._closed = False

    def __enter__(self):
        self._lines.select(self._index)
        return self

    def __exit__(self, *exc_info) -> None:
        self._lines.deselect()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._lines.detach()


class ResetLine(SharedDevice):
    """The NRSTPD line all readers share: low holds every chip in hard power-down."""

    def __init__(self, pin: int, *, pin_factory=None):
        super().__init__()
        self.label = f"GPIO{pin}"
        self._line = OutputDevice(pin, active_high=False, initial_value=False, pin_factory=pin_factory)

    def pulse(self, sleep, *, hold_s: float = 1e-3, settle_s: float = 50e-3) -> None:
        """Hard-reset every chip: hold low, release, wait for the oscillators (datasheet 8.8.2)."""
        self._line.on()
        sleep(hold_s)
        self._line.off()
        sleep(settle_s)

    def _release(self) -> None:
        self._line.close()


ChipSelect = HardwareChipSelect | GpioChipSelect | DecoderChipSelect

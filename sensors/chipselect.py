"""How one reader on a shared SPI bus is told "this transfer is for you".

Three wirings, all a config choice because boards and kernels differ:
- hardware CE0/CE1 (or more with a `cs-gpios` overlay): the kernel drives the line
  around each transfer on /dev/spidevB.N; nothing to do here;
- one GPIO per reader: spidev in no_cs mode, and we drive the line low around each
  transfer through gpiozero;
- 3-to-8 (74HC138) or 4-to-16 (74HC154) decoders: GPIO address lines pick the
  output; each decoder's enable input is a CE line (the kernel gates it) or a GPIO.

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

    kernel_toggles = True  # several frames fit one SPI message (sensors.spi_message)

    def __init__(self, device: int):
        self.device = device
        self.label = f"CE{device}"

    def __exit__(self, *exc_info) -> None:
        return None

    def close(self) -> None:
        return None


class GpioChipSelect(AbstractContextManager):
    """A GPIO line per reader, low (active) only while a transfer is in flight."""

    kernel_toggles = False  # held low by us around a call: a message's frames would run together

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
    """Address lines shared by one or more 74HC138/74HC154 decoders, each with its own enable.

    Output `index` is output `index % outputs` of decoder `index // outputs`, so two
    4-to-16 decoders on the same four address lines serve 32 readers. An enable is a
    GPIO we drive, or None when a CE line drives it (the kernel gates that decoder).
    Address lines change only while every decoder is disabled, so no other reader is
    selected for a moment: GPIO enables are dropped first, CE lines are high between
    transfers anyway.
    """

    def __init__(self, address_pins: Sequence[int], *, enable_pins: Sequence[int | None] = (None,), pin_factory=None):
        super().__init__()
        self.outputs_per_decoder = 1 << len(address_pins)
        self.outputs = self.outputs_per_decoder * len(enable_pins)
        self._address = [OutputDevice(pin, initial_value=False, pin_factory=pin_factory) for pin in address_pins]
        self._enables = [
            OutputDevice(pin, active_high=False, initial_value=False, pin_factory=pin_factory)
            if pin is not None
            else None
            for pin in enable_pins
        ]
        self._enabled: OutputDevice | None = None
        self._output = 0  # what the address lines say now: all start low

    def kernel_enabled(self, index: int) -> bool:
        """Whether a CE line (the kernel) enables the decoder of output `index`, so it toggles per frame."""
        return self._enables[index // self.outputs_per_decoder] is None

    def select(self, index: int) -> None:
        """Only the address lines that differ from the last output change: each is a GPIO call.

        (gpiozero has no group write; lgpio's would take the lines from gpiozero.)
        """
        self.deselect()
        decoder, output = divmod(index, self.outputs_per_decoder)
        changed = output ^ self._output
        for bit, line in enumerate(self._address):
            if changed >> bit & 1:
                line.value = (output >> bit) & 1
        self._output = output
        self._enabled = self._enables[decoder]
        if self._enabled is not None:
            self._enabled.on()

    def deselect(self) -> None:
        if self._enabled is not None:
            self._enabled.off()
            self._enabled = None

    def _release(self) -> None:
        for line in [*self._address, *(enable for enable in self._enables if enable is not None)]:
            line.close()


class DecoderChipSelect(AbstractContextManager):
    """Output `index` of shared decoders."""

    def __init__(self, lines: DecoderLines, index: int):
        if not 0 <= index < lines.outputs:
            raise ValueError(f"decoder output {index} does not exist; there are {lines.outputs}")
        self.label = f"DEC{index}"
        self.kernel_toggles = lines.kernel_enabled(index)
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

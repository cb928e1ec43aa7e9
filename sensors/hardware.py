"""Reader wiring as configured, and the readers built from it.

```toml
[readers]
kind = "rc522"            # "sim", "rc522" (this project's driver) or "mfrc522" (the package)
spi_bus = 0
spi_speed_hz = 4_000_000
reset_pin = 25            # BCM numbering, as everywhere in gpiozero

[readers.decoder]          # only when some reader says chip_select = "decoderN"
address_pins = [5, 6, 13]  # A0, A1, A2 of a 74HC138 (four pins: 74HC154)
enable = "ce0"             # the decoder's enable input: a CE line ("ce0") or a GPIO ("gpio19");
                           # a list for several decoders on the same address lines:
                           # ["gpio19", "gpio26"] makes decoder0-15 the first, decoder16-31 the second

[readers.wiring]           # reader id (slot id, or the coach pad) -> its lines
"1-1" = { chip_select = "ce0" }
"1-2" = { chip_select = "gpio14", irq_pin = 15 }
"2-1" = { chip_select = "decoder3" }
```

Hardware CE readers each get their own /dev/spidevB.N. Readers on GPIO lines (and
decoders enabled by a GPIO) share one handle opened on a free CE device in no_cs mode,
so the kernel leaves chip select to us. A decoder enabled by a CE line shares that
CE device's handle, and the kernel gates the decoder around each transfer.
"""

import re
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from typing import Literal

from gpiozero import DigitalInputDevice
from gpiozero.exc import GPIOZeroError
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from board.core.errors import ConfigError
from board.core.pins import PinUse, checks_pins_itself, first_clash
from sensors.base import Reader
from sensors.chipselect import DecoderChipSelect, DecoderLines, GpioChipSelect, HardwareChipSelect, ResetLine
from sensors.rc522 import TAG_POWER_UP_S, Rc522Reader, RegisterBus, SpiBus
from sensors.sweep import ReaderClock, SystemReaderClock

_LINE = re.compile(r"(ce|gpio|decoder)(\d+)")
# BCM pins of each SPI controller: data lines that can never be a chip select, and CE lines.
_SPI_DATA_PINS = {0: (9, 10, 11), 1: (19, 20, 21)}
_SPI_CE_PINS = {0: (8, 7), 1: (18, 17, 16)}
CE_DEVICES = (0, 1)


def _parse_line(text: str, allowed: tuple[str, ...]) -> tuple[str, int]:
    match = _LINE.fullmatch(text.strip().lower())
    if not match or match[1] not in allowed:
        raise ValueError(f"{text!r} is not one of {', '.join(kind + 'N' for kind in allowed)}")
    return match[1], int(match[2])


class ReaderWiring(BaseModel):
    model_config = ConfigDict(extra="forbid")

    chip_select: str = Field(description='"ce0"/"ce1" (kernel), "gpioN" (BCM pin), or "decoderN" (decoder output)')
    irq_pin: int | None = Field(None, description="BCM pin wired to the reader's IRQ output; saves SPI reads")

    @field_validator("chip_select")
    @classmethod
    def _known_line(cls, value: str) -> str:
        kind, number = _parse_line(value, ("ce", "gpio", "decoder"))
        return f"{kind}{number}"

    @property
    def line(self) -> tuple[str, int]:
        return _parse_line(self.chip_select, ("ce", "gpio", "decoder"))


class DecoderWiring(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address_pins: list[int] = Field(min_length=3, max_length=4)
    enable: list[str] = Field(["ce0"], description="each decoder's enable line; decoders share the address lines")

    @field_validator("enable", mode="before")
    @classmethod
    def _one_or_more(cls, value):
        return [value] if isinstance(value, str) else value

    @field_validator("enable")
    @classmethod
    def _known_enables(cls, lines: list[str]) -> list[str]:
        if not lines:
            raise ValueError("name at least one enable line")
        return [f"{kind}{number}" for kind, number in (_parse_line(line, ("ce", "gpio")) for line in lines)]

    @property
    def enable_lines(self) -> list[tuple[str, int]]:
        return [_parse_line(line, ("ce", "gpio")) for line in self.enable]

    @property
    def outputs_per_decoder(self) -> int:
        return 1 << len(self.address_pins)

    def enable_of(self, output: int) -> tuple[str, int]:
        """The enable line of the decoder that drives `output`."""
        return self.enable_lines[output // self.outputs_per_decoder]


class ReadersConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["sim", "rc522", "mfrc522"] = "sim"
    spi_bus: int = Field(0, ge=0, le=1)
    spi_speed_hz: int = Field(4_000_000, ge=100_000, le=10_000_000)
    reset_pin: int | None = None
    decoder: DecoderWiring | None = None
    antenna_off_between_polls: bool = Field(
        False,
        description="switch each reader's field off between polls (less crosstalk; ~5 ms more a poll, one reader at a time)",
    )
    tag_power_up_ms: float = Field(TAG_POWER_UP_S * 1e3, gt=0, le=20)
    wiring: dict[str, ReaderWiring] = {}

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> "ReadersConfig":
        lines = [wiring.line for wiring in self.wiring.values()]
        taken: dict[tuple[str, int], str] = {}
        for reader_id, wiring in self.wiring.items():
            if wiring.line in taken:
                raise ValueError(f"readers {taken[wiring.line]!r} and {reader_id!r} share {wiring.chip_select}")
            taken[wiring.line] = reader_id
            kind, number = wiring.line
            if kind == "ce" and number >= len(_SPI_CE_PINS[self.spi_bus]):
                raise ValueError(f"{reader_id!r}: SPI{self.spi_bus} has no CE{number}")
            if kind == "decoder":
                if self.decoder is None:
                    raise ValueError(f"{reader_id!r} uses a decoder output but [readers.decoder] is missing")
                if number >= self.decoder.outputs_per_decoder * len(self.decoder.enable):
                    raise ValueError(f"{reader_id!r}: the decoders have no output {number}")
        if self.kind == "mfrc522":
            if any(kind != "ce" for kind, _ in lines) or any(w.irq_pin is not None for w in self.wiring.values()):
                raise ValueError('kind = "mfrc522" drives one or two readers on CE0/CE1 without IRQ; use "rc522"')
        if not checks_pins_itself(info):
            if clash := first_clash(self.pin_uses()):
                raise ValueError(clash.describe())
        self.no_cs_device()
        return self

    def pin_uses(self) -> list["PinUse"]:
        """Every GPIO these readers take, with what for and the config key that says so."""
        spi = f"SPI{self.spi_bus}"
        uses = [
            PinUse(pin, f"{spi} data (MOSI/MISO/SCLK)", ("readers", "spi_bus")) for pin in _SPI_DATA_PINS[self.spi_bus]
        ]
        ce_keys = {}
        for reader_id, (kind, number) in zip(self.wiring, self.select_lines()):
            if kind == "ce":
                ce_keys.setdefault(number, ("readers", "wiring", reader_id))
        if self.decoder is not None:
            for kind, number in self.decoder.enable_lines:
                if kind == "ce":
                    ce_keys[number] = ("readers", "decoder", "enable")
        for device in sorted(self.ce_devices()):
            uses.append(PinUse(_SPI_CE_PINS[self.spi_bus][device], f"{spi} CE{device}", ce_keys[device]))
        if self.reset_pin is not None:
            uses.append(PinUse(self.reset_pin, "readers' reset", ("readers", "reset_pin")))
        if self.decoder is not None:
            uses += [
                PinUse(pin, f"decoder address A{bit}", ("readers", "decoder", "address_pins"))
                for bit, pin in enumerate(self.decoder.address_pins)
            ]
            uses += [
                PinUse(number, f"enable of decoder {index}", ("readers", "decoder", "enable"))
                for index, (kind, number) in enumerate(self.decoder.enable_lines)
                if kind == "gpio"
            ]
        for reader_id, wiring in self.wiring.items():
            kind, number = wiring.line
            if kind == "gpio":
                uses.append(PinUse(number, f"chip select of {reader_id!r}", ("readers", "wiring", reader_id)))
            if wiring.irq_pin is not None:
                uses.append(PinUse(wiring.irq_pin, f"IRQ of {reader_id!r}", ("readers", "wiring", reader_id)))
        return uses

    def select_lines(self) -> list[tuple[str, int]]:
        """The line each reader's transfers assert: its CE or GPIO, or its decoder's enable."""
        return [
            self.decoder.enable_of(number) if kind == "decoder" else (kind, number)
            for kind, number in (wiring.line for wiring in self.wiring.values())
        ]

    def ce_devices(self) -> set[int]:
        """CE devices driven by the kernel: readers on CE lines and CE-enabled decoders."""
        return {number for kind, number in self.select_lines() if kind == "ce"}

    def uses_decoder(self) -> bool:
        return any(w.line[0] == "decoder" for w in self.wiring.values())

    def no_cs_device(self) -> int | None:
        """The spidev device opened in no_cs mode for GPIO chip selects, or None if none is needed."""
        if not any(kind == "gpio" for kind, _ in self.select_lines()):
            return None
        free = [device for device in CE_DEVICES if device not in self.ce_devices()]
        if not free:
            raise ValueError("GPIO chip selects need a spidev device in no_cs mode, but CE0 and CE1 are both in use")
        return free[0]


@contextmanager
def _gpio_errors_as_config_errors():
    """No pin factory (not a Pi) or a pin already in use: a wiring problem, said in one line."""
    try:
        yield
    except GPIOZeroError as error:
        raise ConfigError(f"reader GPIO lines: {error} ({type(error).__name__})") from error


def _default_spi_factory():
    import spidev

    return spidev.SpiDev()


def build_readers(
    config: ReadersConfig,
    pin_factory=None,
    spi_factory: Callable[[], object] | None = None,
    clock: ReaderClock | None = None,
) -> dict[str, Reader]:
    """One Reader per configured reader id; hardware is opened here, chips are probed on first poll."""
    if config.kind == "sim":
        raise ConfigError('readers.kind = "sim" has no hardware to build')
    spi_factory = spi_factory or _default_spi_factory
    clock = clock or SystemReaderClock()
    # `holds` keeps shared lines alive while readers are built (each reader attaches its own);
    # `undo` closes everything opened if building fails half way.
    with ExitStack() as holds, ExitStack() as undo, _gpio_errors_as_config_errors():

        def open_spi(device: int, *, no_cs: bool):
            spi = spi_factory()
            try:
                spi.open(config.spi_bus, device)
            except OSError as error:
                raise ConfigError(
                    f"cannot open /dev/spidev{config.spi_bus}.{device} ({error}); is SPI enabled (dtparam=spi=on)?"
                ) from error
            undo.callback(spi.close)
            spi.max_speed_hz = config.spi_speed_hz
            spi.mode = 0
            if no_cs:
                spi.no_cs = True
            return spi

        reset_line = None
        if config.reset_pin is not None:
            reset_line = ResetLine(config.reset_pin, pin_factory=pin_factory)
            holds.callback(reset_line.attach().detach)
            reset_line.pulse(clock.sleep)

        if config.kind == "mfrc522":
            from sensors.mfrc522_package import PackageReader

            readers: dict[str, Reader] = {}
            for reader_id, wiring in config.wiring.items():
                reader = PackageReader(
                    reader_id,
                    open_spi(wiring.line[1], no_cs=False),
                    wiring=wiring.chip_select.upper(),
                    reset_line=reset_line,
                    clock=clock,
                    tag_power_up_s=config.tag_power_up_ms / 1e3,
                )
                undo.callback(reader.close)
                readers[reader_id] = reader
        else:
            readers = _build_rc522(config, open_spi, reset_line, pin_factory, clock, holds, undo)
        undo.pop_all()
        return readers


def _build_rc522(config, open_spi, reset_line, pin_factory, clock, holds: ExitStack, undo: ExitStack):
    buses: dict[tuple[int, bool], SpiBus] = {}

    def bus_for(device: int, *, no_cs: bool) -> SpiBus:
        if (device, no_cs) not in buses:
            label = f"spi{config.spi_bus}" + ("" if no_cs else f".{device}")
            bus = SpiBus(open_spi(device, no_cs=no_cs), label=label, reset_line=reset_line)
            holds.callback(bus.attach().detach)
            buses[(device, no_cs)] = bus
        return buses[(device, no_cs)]

    decoder_lines = None
    if config.decoder is not None and config.uses_decoder():
        enable_pins = [number if kind == "gpio" else None for kind, number in config.decoder.enable_lines]
        decoder_lines = DecoderLines(config.decoder.address_pins, enable_pins=enable_pins, pin_factory=pin_factory)
        holds.callback(decoder_lines.attach().detach)

    readers: dict[str, Reader] = {}
    for (reader_id, wiring), (select_kind, select_number) in zip(config.wiring.items(), config.select_lines()):
        kind, number = wiring.line
        if select_kind == "ce":
            bus = bus_for(select_number, no_cs=False)
        else:
            bus = bus_for(config.no_cs_device(), no_cs=True)
        if kind == "ce":
            chip_select = HardwareChipSelect(number)
        elif kind == "gpio":
            chip_select = GpioChipSelect(number, pin_factory=pin_factory)
        else:
            chip_select = DecoderChipSelect(decoder_lines, number)
        irq = None
        if wiring.irq_pin is not None:
            irq = DigitalInputDevice(wiring.irq_pin, pull_up=None, active_state=True, pin_factory=pin_factory)
        reader = Rc522Reader(
            reader_id,
            RegisterBus(bus, chip_select),
            clock=clock,
            irq=irq,
            antenna_off_between_polls=config.antenna_off_between_polls,
            tag_power_up_s=config.tag_power_up_ms / 1e3,
        )
        undo.callback(reader.close)
        readers[reader_id] = reader
    return readers

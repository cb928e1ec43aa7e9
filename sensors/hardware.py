"""Reader wiring as configured, and the readers built from it.

```toml
[readers]
kind = "rc522"            # "sim", "rc522" (this project's driver) or "mfrc522" (the package)
spi_bus = 0               # the bus of "ceN" lines and of GPIO chip selects
spi_speed_hz = 4_000_000
reset_pin = 25            # BCM numbering, as everywhere in gpiozero

[readers.kernel_chip_selects]  # only when an overlay in config.txt moves or adds chip selects
spi0 = [8, 7, 19, 26]          # /dev/spidev0.N is selected on the Nth pin (the overlay's cs-gpios)

[readers.decoder]          # only when some reader says chip_select = "decoderN"
address_pins = [5, 6, 13]  # A0, A1, A2 of a 74HC138 (four pins: 74HC154)
enable = "ce0"             # the decoder's enable input: a chip select the kernel drives ("ce0",
                           # "spi0.2", "spi1.0") or a GPIO ("gpio19"); a list for several decoders on
                           # the same address lines: ["ce0", "spi0.2"] makes decoder0-15 the first,
                           # decoder16-31 the second

[readers.wiring]           # reader id (slot id, or the coach pad) -> its lines
"1-1" = { chip_select = "ce0" }
"1-2" = { chip_select = "gpio14", irq_pin = 15 }
"2-1" = { chip_select = "decoder3" }
```

Readers on a kernel chip select ("ceN" on `spi_bus`, or "spiB.N") each get /dev/spidevB.N.
Readers on GPIO lines (and decoders enabled by a GPIO) share one handle opened on a free
device of `spi_bus` in no_cs mode, so the kernel leaves chip select to us. A decoder
enabled by a kernel chip select shares that device's handle, and the kernel gates the
decoder around each frame (sensors.spi_message).
"""

import re
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Literal, NamedTuple

from gpiozero import DigitalInputDevice
from gpiozero.exc import GPIOZeroError
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from board.core.errors import ConfigError
from board.core.pins import PinUse, checks_pins_itself, first_clash
from sensors.base import Reader
from sensors.chipselect import DecoderChipSelect, DecoderLines, GpioChipSelect, HardwareChipSelect, ResetLine
from sensors.rc522 import TAG_POWER_UP_S, Rc522Reader, RegisterBus, SpiBus
from sensors.sweep import ReaderClock, SystemReaderClock

_LINE = re.compile(r"(ce|gpio|decoder)(\d+)|(spi)(\d+)\.(\d+)")
# BCM pins of the SPI buses on the 40-pin header, the same on a Pi 3, Zero 2 W, 4 and 5:
# the data lines (MISO, MOSI, SCLK), and the chip selects of `dtparam=spi=on` (SPI0) and of
# `dtoverlay=spi1-3cs` (SPI1) at their defaults. Other buses (SPI3-6 on a Pi 4, SPI2/3/5 on
# a Pi 5) sit on different pins per model; docs/readers.md says why one bus is enough.
SPI_DATA_PINS = {0: (9, 10, 11), 1: (19, 20, 21)}
DEFAULT_CHIP_SELECT_PINS = {0: [8, 7], 1: [18, 17, 16]}
# How many chip selects each bus's overlays give: SPI0 spi0-1cs/spi0-2cs, or four with
# deploy/overlays/wallboard-spi0-4cs-overlay.dts; SPI1 spi1-1cs/-2cs/-3cs.
OVERLAY_CHIP_SELECTS = {0: (1, 2, 4), 1: (1, 2, 3)}
SPI0_4CS_OVERLAY = "wallboard-spi0-4cs"
SPI0_4CS_DEFAULT_PINS = [8, 7, 19, 26]


@dataclass(frozen=True, order=True)
class SpiDevice:
    """/dev/spidevB.N: chip select N of SPI bus B, which the kernel drives around each frame."""

    bus: int
    device: int

    def __str__(self) -> str:
        return f"spi{self.bus}.{self.device}"

    @property
    def name(self) -> str:
        return f"spidev{self.bus}.{self.device}"

    @property
    def path(self) -> str:
        return f"/dev/{self.name}"


class Line(NamedTuple):
    """A chip-select line as written: "ceN" (on `spi_bus`), "spiB.N", "gpioN" or "decoderN"."""

    kind: str
    number: int
    bus: int | None = None  # only for "spiB.N"


def _parse_line(text: str, allowed: tuple[str, ...]) -> Line:
    match = _LINE.fullmatch(text.strip().lower())
    if not match or (match[3] or match[1]) not in allowed:
        raise ValueError(f"{text!r} is not one of {', '.join(_spelled(kind) for kind in allowed)}")
    if match[3]:
        bus = int(match[4])
        if bus not in SPI_DATA_PINS:
            raise ValueError(f"{text!r}: the readers can use SPI0 and SPI1 (spi0.N, spi1.N), not SPI{bus}")
        return Line("spi", int(match[5]), bus)
    return Line(match[1], int(match[2]))


def _spelled(kind: str) -> str:
    return "spiB.N" if kind == "spi" else f"{kind}N"


def _written(line: Line) -> str:
    return f"spi{line.bus}.{line.number}" if line.kind == "spi" else f"{line.kind}{line.number}"


class ReaderWiring(BaseModel):
    model_config = ConfigDict(extra="forbid")

    chip_select: str = Field(
        description='"ceN" or "spiB.N" (a chip select the kernel drives), "gpioN" (BCM pin), or "decoderN" (decoder output)'
    )
    irq_pin: int | None = Field(None, description="BCM pin wired to the reader's IRQ output; saves SPI reads")

    @field_validator("chip_select")
    @classmethod
    def _known_line(cls, value: str) -> str:
        return _written(_parse_line(value, ("ce", "spi", "gpio", "decoder")))

    @property
    def line(self) -> Line:
        return _parse_line(self.chip_select, ("ce", "spi", "gpio", "decoder"))


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
        return [_written(_parse_line(line, ("ce", "spi", "gpio"))) for line in lines]

    @property
    def enable_lines(self) -> list[Line]:
        return [_parse_line(line, ("ce", "spi", "gpio")) for line in self.enable]

    @property
    def outputs_per_decoder(self) -> int:
        return 1 << len(self.address_pins)

    def enable_of(self, output: int) -> Line:
        """The enable line of the decoder that drives `output`."""
        return self.enable_lines[output // self.outputs_per_decoder]


class KernelChipSelects(BaseModel):
    """The chip selects config.txt gives the kernel, bus by bus: /dev/spidevB.N is selected on
    the Nth pin of `spiB` (the `cs-gpios` of the overlay). The kernel drives each around every
    frame of an SPI message, so frames to a reader behind one batch into one call."""

    model_config = ConfigDict(extra="forbid")

    spi0: list[int] = Field(
        default_factory=lambda: list(DEFAULT_CHIP_SELECT_PINS[0]),
        description="dtparam=spi=on: GPIO 8, 7; spi0-1cs/spi0-2cs move them; wallboard-spi0-4cs gives four",
    )
    spi1: list[int] = Field(
        default_factory=lambda: list(DEFAULT_CHIP_SELECT_PINS[1]),
        description="dtoverlay=spi1-3cs: GPIO 18, 17, 16 (spi1-1cs/-2cs: the first ones)",
    )

    @field_validator("spi0", "spi1")
    @classmethod
    def _as_an_overlay_gives_them(cls, pins: list[int], info: ValidationInfo) -> list[int]:
        bus = int(info.field_name.removeprefix("spi"))
        if len(pins) not in OVERLAY_CHIP_SELECTS[bus]:
            counts = " or ".join(str(count) for count in OVERLAY_CHIP_SELECTS[bus])
            raise ValueError(f"SPI{bus}'s overlays give {counts} chip selects (docs/readers.md), not {len(pins)}")
        if len(set(pins)) != len(pins):
            raise ValueError(f"a pin is listed twice: {pins}")
        if taken := set(pins) & set(SPI_DATA_PINS[bus]):
            raise ValueError(f"GPIO{min(taken)} carries SPI{bus}'s data (MISO, MOSI, SCLK: {SPI_DATA_PINS[bus]})")
        return pins

    def pins(self, bus: int) -> list[int]:
        return getattr(self, f"spi{bus}")

    def listed(self, bus: int) -> bool:
        """Whether the config lists this bus's chip selects (its overlay claims them all), not the default."""
        return f"spi{bus}" in self.model_fields_set

    def config_txt_line(self, bus: int) -> str:
        """The /boot/firmware/config.txt line that gives the kernel these chip selects."""
        pins = self.pins(bus)
        if bus == 0 and pins == DEFAULT_CHIP_SELECT_PINS[0]:
            return "dtparam=spi=on"
        if bus == 0 and len(pins) == 4:
            name, defaults = SPI0_4CS_OVERLAY, SPI0_4CS_DEFAULT_PINS
        else:
            name, defaults = f"spi{bus}-{len(pins)}cs", DEFAULT_CHIP_SELECT_PINS[bus]
        moved = [f"cs{n}_pin={pin}" for n, (pin, default) in enumerate(zip(pins, defaults)) if pin != default]
        return ",".join([f"dtoverlay={name}", *moved])


class ReadersConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["sim", "rc522", "mfrc522"] = "sim"
    spi_bus: int = Field(0, ge=0, le=1)
    spi_speed_hz: int = Field(4_000_000, ge=100_000, le=10_000_000)
    reset_pin: int | None = None
    kernel_chip_selects: KernelChipSelects = KernelChipSelects()
    decoder: DecoderWiring | None = None
    antenna_off_between_polls: bool = Field(
        False,
        description="switch each reader's field off between polls (less crosstalk; ~5 ms more a poll, one reader at a time)",
    )
    tag_power_up_ms: float = Field(TAG_POWER_UP_S * 1e3, gt=0, le=20)
    wiring: dict[str, ReaderWiring] = {}

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> "ReadersConfig":
        taken: dict[Line, str] = {}
        for reader_id, wiring in self.wiring.items():
            line = wiring.line
            if (device := self.kernel_device(line)) is not None:  # "ce1" and "spi0.1" are one line on SPI0
                line = Line("spi", device.device, device.bus)
            if line in taken:
                raise ValueError(f"readers {taken[line]!r} and {reader_id!r} share {wiring.chip_select}")
            taken[line] = reader_id
            if line.kind == "decoder":
                if self.decoder is None:
                    raise ValueError(f"{reader_id!r} uses a decoder output but [readers.decoder] is missing")
                if line.number >= self.decoder.outputs_per_decoder * len(self.decoder.enable):
                    raise ValueError(f"{reader_id!r}: the decoders have no output {line.number}")
            self._has_chip_select(self.kernel_device(wiring.line), repr(reader_id))
        if self.decoder is not None:
            enables = [self.kernel_device(line) or line for line in self.decoder.enable_lines]
            if len(set(enables)) != len(enables):
                raise ValueError(f"[readers.decoder] enable names one line for two decoders: {self.decoder.enable}")
            for line in self.decoder.enable_lines:
                self._has_chip_select(self.kernel_device(line), "[readers.decoder] enable")
        if self.kind == "mfrc522":
            kernel_only = all(self.kernel_device(wiring.line) is not None for wiring in self.wiring.values())
            if not kernel_only or any(w.irq_pin is not None for w in self.wiring.values()):
                raise ValueError('kind = "mfrc522" drives one or two readers on CE0/CE1 without IRQ; use "rc522"')
        if not checks_pins_itself(info):
            if clash := first_clash(self.pin_uses()):
                raise ValueError(clash.describe())
        self.no_cs_device()
        return self

    def _has_chip_select(self, device: SpiDevice | None, who: str) -> None:
        if device is None:
            return
        pins = self.kernel_chip_selects.pins(device.bus)
        if device.device >= len(pins):
            raise ValueError(
                f"{who}: SPI{device.bus} has no CE{device.device}: readers.kernel_chip_selects.spi{device.bus} "
                f"gives it {len(pins)} (GPIO {', '.join(map(str, pins))}); an overlay in config.txt gives it more "
                "(docs/readers.md)"
            )

    def kernel_device(self, line: Line) -> SpiDevice | None:
        """The spidev device of a line the kernel drives ("ceN" is on `spi_bus`), or None for a GPIO or decoder."""
        if line.kind == "ce":
            return SpiDevice(self.spi_bus, line.number)
        if line.kind == "spi":
            return SpiDevice(line.bus, line.number)
        return None

    def select_lines(self) -> list[Line]:
        """The line each reader's transfers assert: its own, or its decoder's enable."""
        return [
            self.decoder.enable_of(line.number) if line.kind == "decoder" else line
            for line in (wiring.line for wiring in self.wiring.values())
        ]

    def kernel_devices(self) -> set[SpiDevice]:
        """Devices whose chip select the kernel drives for a reader: readers on them and decoders they enable."""
        return {device for line in self.select_lines() if (device := self.kernel_device(line)) is not None}

    def spi_devices(self) -> list[SpiDevice]:
        """Every /dev/spidevB.N the readers open: their kernel chip selects, and the no_cs device."""
        return sorted(self.kernel_devices() | ({no_cs} if (no_cs := self.no_cs_device()) else set()))

    def buses(self) -> list[int]:
        """The SPI buses the readers are on: `spi_bus`, and any other a kernel chip select names."""
        return sorted({self.spi_bus} | {device.bus for device in self.kernel_devices()})

    def config_txt_lines(self) -> list[str]:
        """What /boot/firmware/config.txt needs for these readers' SPI buses and chip selects."""
        return [self.kernel_chip_selects.config_txt_line(bus) for bus in self.buses()]

    def pin_uses(self) -> list["PinUse"]:
        """Every GPIO these readers take, with what for and the config key that says so."""
        keys: dict[SpiDevice, tuple[str, ...]] = {}  # the first key that puts a kernel chip select to use
        for reader_id, line in zip(self.wiring, self.select_lines()):
            if (device := self.kernel_device(line)) is not None:
                keys.setdefault(device, ("readers", "wiring", reader_id))
        if self.decoder is not None:
            for line in self.decoder.enable_lines:
                if (device := self.kernel_device(line)) is not None:
                    keys[device] = ("readers", "decoder", "enable")
        uses = []
        for bus in self.buses():
            if bus == self.spi_bus:
                data_key = ("readers", "spi_bus")
            else:
                data_key = next(key for device, key in sorted(keys.items()) if device.bus == bus)
            uses += [PinUse(pin, f"SPI{bus} data (MISO/MOSI/SCLK)", data_key) for pin in SPI_DATA_PINS[bus]]
            pins = self.kernel_chip_selects.pins(bus)
            if self.kernel_chip_selects.listed(bus):  # the overlay claims every chip select it lists
                claimed = {SpiDevice(bus, n): ("readers", "kernel_chip_selects", f"spi{bus}") for n in range(len(pins))}
            else:
                claimed = {device: key for device, key in keys.items() if device.bus == bus}
            uses += [
                PinUse(pins[device.device], f"SPI{bus} CE{device.device}", key)
                for device, key in sorted(claimed.items())
            ]
        if self.reset_pin is not None:
            uses.append(PinUse(self.reset_pin, "readers' reset", ("readers", "reset_pin")))
        if self.decoder is not None:
            uses += [
                PinUse(pin, f"decoder address A{bit}", ("readers", "decoder", "address_pins"))
                for bit, pin in enumerate(self.decoder.address_pins)
            ]
            uses += [
                PinUse(line.number, f"enable of decoder {index}", ("readers", "decoder", "enable"))
                for index, line in enumerate(self.decoder.enable_lines)
                if line.kind == "gpio"
            ]
        for reader_id, wiring in self.wiring.items():
            if wiring.line.kind == "gpio":
                uses.append(
                    PinUse(wiring.line.number, f"chip select of {reader_id!r}", ("readers", "wiring", reader_id))
                )
            if wiring.irq_pin is not None:
                uses.append(PinUse(wiring.irq_pin, f"IRQ of {reader_id!r}", ("readers", "wiring", reader_id)))
        return uses

    def uses_decoder(self) -> bool:
        return any(w.line.kind == "decoder" for w in self.wiring.values())

    def no_cs_device(self) -> SpiDevice | None:
        """The spidev device opened in no_cs mode for GPIO chip selects, or None if none is needed."""
        if not any(line.kind == "gpio" for line in self.select_lines()):
            return None
        used = self.kernel_devices()
        pins = self.kernel_chip_selects.pins(self.spi_bus)
        free = [SpiDevice(self.spi_bus, n) for n in range(len(pins)) if SpiDevice(self.spi_bus, n) not in used]
        if not free:
            raise ValueError(
                f"GPIO chip selects need a spidev device in no_cs mode, but every chip select of SPI{self.spi_bus} "
                "is in use"
            )
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

        def open_spi(device: SpiDevice, *, no_cs: bool):
            spi = spi_factory()
            try:
                spi.open(device.bus, device.device)
            except OSError as error:
                raise ConfigError(
                    f"cannot open {device.path} ({error}); /boot/firmware/config.txt needs "
                    f"{' and '.join(config.config_txt_lines())} (docs/readers.md), then a reboot"
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
                    open_spi(config.kernel_device(wiring.line), no_cs=False),
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
    buses: dict[tuple[SpiDevice, bool], SpiBus] = {}

    def bus_for(device: SpiDevice, *, no_cs: bool) -> SpiBus:
        if (device, no_cs) not in buses:
            label = f"spi{device.bus}" if no_cs else str(device)
            bus = SpiBus(open_spi(device, no_cs=no_cs), label=label, reset_line=reset_line)
            holds.callback(bus.attach().detach)
            buses[(device, no_cs)] = bus
        return buses[(device, no_cs)]

    decoder_lines = None
    if config.decoder is not None and config.uses_decoder():
        enable_pins = [line.number if line.kind == "gpio" else None for line in config.decoder.enable_lines]
        decoder_lines = DecoderLines(config.decoder.address_pins, enable_pins=enable_pins, pin_factory=pin_factory)
        holds.callback(decoder_lines.attach().detach)

    readers: dict[str, Reader] = {}
    for (reader_id, wiring), select_line in zip(config.wiring.items(), config.select_lines()):
        line = wiring.line
        if (selected_by_kernel := config.kernel_device(select_line)) is not None:
            bus = bus_for(selected_by_kernel, no_cs=False)
        else:
            bus = bus_for(config.no_cs_device(), no_cs=True)
        if line.kind == "gpio":
            chip_select = GpioChipSelect(line.number, pin_factory=pin_factory)
        elif line.kind == "decoder":
            chip_select = DecoderChipSelect(decoder_lines, line.number)
        else:
            chip_select = HardwareChipSelect(line.number)
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

"""Chip-select strategies and the reader wiring built from config, on gpiozero mock pins."""

import pytest
from gpiozero.pins.mock import MockFactory
from pydantic import ValidationError

from board.core.errors import ConfigError
from sensors.chipselect import DecoderChipSelect, DecoderLines, GpioChipSelect, ResetLine
from sensors.emulated import EmulatedSpiDev, EmulatedWall
from sensors.hardware import ReadersConfig, build_readers
from sensors.mfrc522_regs import Reg
from sensors.rc522 import RegisterBus, SpiBus


class RecordingSpi:
    """A spidev stand-in that records, for each transfer, what a probe reads off the pins."""

    def __init__(self, probe):
        self.probe = probe
        self.seen = []
        self.closed = 0

    def xfer2(self, data):
        self.seen.append(self.probe())
        return [0] * len(data)

    def close(self):
        self.closed += 1


def test_a_gpio_chip_select_is_low_only_while_its_transfer_runs():
    pins = MockFactory()
    line = pins.pin(17)
    spi = RecordingSpi(lambda: line.state)
    registers = RegisterBus(SpiBus(spi, label="spi0"), GpioChipSelect(17, pin_factory=pins))
    assert line.state == 1
    registers.read(Reg.VERSION)
    assert spi.seen == [0] and line.state == 1


def test_a_decoder_spells_the_readers_index_only_while_enabled():
    pins = MockFactory()
    address = [pins.pin(n) for n in (5, 6, 13)]
    enable = pins.pin(19)

    def selected_output():
        return None if enable.state else sum(pin.state << bit for bit, pin in enumerate(address))

    spi = RecordingSpi(selected_output)
    lines = DecoderLines([5, 6, 13], enable_pins=[19], pin_factory=pins)
    bus = SpiBus(spi, label="spi0")
    three, six = RegisterBus(bus, DecoderChipSelect(lines, 3)), RegisterBus(bus, DecoderChipSelect(lines, 6))
    three.read(Reg.VERSION)
    six.write(Reg.COMMAND, 0)
    assert spi.seen == [3, 6]
    assert enable.state == 1  # disabled between transfers: no output selected


def test_a_decoder_changes_only_the_address_lines_that_differ_from_the_last_output():
    pins = MockFactory()
    address = [pins.pin(n) for n in (5, 6, 13)]
    lines = DecoderLines([5, 6, 13], enable_pins=[19], pin_factory=pins)
    writes = []
    for bit, pin in enumerate(address):
        drive = pin._change_state
        pin._change_state = lambda value, bit=bit, drive=drive: writes.append(bit) or drive(value)
    for output in (3, 2, 6, 6, 7):  # 0b011, 0b010, 0b110, 0b110, 0b111
        lines.select(output)
        lines.deselect()
        assert sum(pin.state << bit for bit, pin in enumerate(address)) == output
    assert writes == [0, 1, 0, 2, 0]


def test_a_decoder_has_only_as_many_outputs_as_its_address_lines_spell():
    lines = DecoderLines([5, 6, 13], pin_factory=MockFactory())
    with pytest.raises(ValueError, match="output 8"):
        DecoderChipSelect(lines, 8)


def test_shared_lines_are_released_when_the_last_reader_closes_and_close_is_safe_twice():
    pins = MockFactory()
    spi = RecordingSpi(lambda: None)
    reset = ResetLine(25, pin_factory=pins)
    lines = DecoderLines([5, 6, 13], pin_factory=pins)
    bus = SpiBus(spi, label="spi0", reset_line=reset)
    first, second = RegisterBus(bus, DecoderChipSelect(lines, 0)), RegisterBus(bus, DecoderChipSelect(lines, 1))
    first.close()
    first.close()
    assert spi.closed == 0 and pins.pin(5).function == "output"
    second.close()
    assert spi.closed == 1 and pins.pin(5).function == "input" and pins.pin(25).function == "input"


def test_the_reset_pulse_holds_every_chip_in_power_down_then_lets_go():
    pins = MockFactory()
    levels = []
    reset = ResetLine(25, pin_factory=pins)
    reset.pulse(lambda seconds: levels.append(pins.pin(25).state))
    assert levels == [0, 1]


def wall_config(**readers) -> ReadersConfig:
    return ReadersConfig(
        kind="rc522",
        reset_pin=25,
        decoder={"address_pins": [5, 6, 13], "enable": "gpio19"},
        wiring={reader_id: {"chip_select": line} for reader_id, line in readers.items()},
    )


def wall_with_a_card_in_every_slot(config: ReadersConfig):
    """The emulated wall, the card placed on each reader, and the readers built on it."""
    wall = EmulatedWall(config)
    cards = {reader_id: f"04{n:02X}A1B2C3D4E5" for n, reader_id in enumerate(config.wiring)}
    for reader_id, uid in cards.items():
        wall.chips[reader_id].place(uid)
    readers = wall.build_readers()
    wall.settle()
    return wall, cards, readers


def test_a_wall_mixing_ce_gpio_and_decoder_lines_reads_every_card_in_its_own_slot():
    config = wall_config(a="ce0", b="gpio17", c="gpio22", d="decoder0", e="decoder5", f="decoder7")
    wall, cards, readers = wall_with_a_card_in_every_slot(config)
    for _ in range(2):
        assert {reader_id: reader.poll() for reader_id, reader in readers.items()} == {
            reader_id: {uid} for reader_id, uid in cards.items()
        }
    for reader in readers.values():
        reader.close()
    assert all(wall.pin_factory.pin(pin).function == "input" for pin in (5, 6, 13, 17, 19, 22, 25))


def test_building_readers_pulses_the_shared_reset_line():
    config = wall_config(a="gpio17")
    wall = EmulatedWall(config)
    wall.chips["a"].place("DEADBEEF")
    readers = wall.build_readers()
    assert wall.pin_factory.pin(25).state == 1
    wall.settle()
    assert readers["a"].poll() == {"DEADBEEF"}


@pytest.mark.parametrize(
    ("wiring", "message"),
    [
        ({"a": "ce0", "b": "ce0"}, "share ce0"),
        ({"a": "gpio17", "b": "gpio17"}, "share gpio17"),
        ({"a": "gpio9"}, "GPIO9 is wired twice"),
        ({"a": "gpio25"}, "GPIO25 is wired twice"),
        ({"a": "ce2"}, "no CE2"),
        ({"a": "cs3"}, "not one of"),
        ({"a": "decoder0"}, r"\[readers.decoder\] is missing"),
        ({"a": "ce0", "b": "ce1", "c": "gpio17"}, "no_cs mode"),
    ],
)
def test_wiring_mistakes_are_refused_with_a_message_that_names_them(wiring, message):
    with pytest.raises(ValidationError, match=message):
        ReadersConfig(kind="rc522", reset_pin=25, wiring={k: {"chip_select": v} for k, v in wiring.items()})


def test_a_decoder_output_beyond_its_address_lines_is_refused():
    with pytest.raises(ValidationError, match="no output 8"):
        wall_config(a="decoder8")


def test_two_decoders_on_the_same_address_lines_serve_a_32_slot_wall_and_the_pad():
    config = ReadersConfig(
        kind="rc522",
        decoder={"address_pins": [5, 6, 13, 12], "enable": ["gpio19", "gpio26"]},
        wiring={**{f"S{n}": {"chip_select": f"decoder{n}"} for n in range(32)}, "pad": {"chip_select": "ce1"}},
    )
    wall, cards, readers = wall_with_a_card_in_every_slot(config)
    assert {reader_id: reader.poll() for reader_id, reader in readers.items()} == {
        reader_id: {uid} for reader_id, uid in cards.items()
    }


def test_the_mfrc522_kind_is_refused_for_anything_but_ce0_and_ce1():
    with pytest.raises(ValidationError, match="CE0/CE1"):
        ReadersConfig(kind="mfrc522", wiring={"a": {"chip_select": "gpio17"}})


def test_simulated_readers_have_no_hardware_to_build():
    with pytest.raises(ConfigError):
        build_readers(ReadersConfig(kind="sim"))


def test_a_missing_spi_device_is_a_config_error_that_says_how_to_enable_spi():
    config = ReadersConfig(kind="rc522", wiring={"a": {"chip_select": "ce0"}})
    no_spi_devices = {}
    with pytest.raises(ConfigError, match="dtparam=spi=on"):
        build_readers(config, pin_factory=MockFactory(), spi_factory=lambda: EmulatedSpiDev(no_spi_devices))

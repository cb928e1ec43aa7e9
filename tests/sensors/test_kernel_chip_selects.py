"""Chip selects the kernel drives beyond CE0/CE1: /dev/spidevB.N from an overlay in config.txt.

A reader (or a decoder's enable) on one of them has its frames batched into one SPI
message, as on CE0/CE1; the emulated spidev separates them only where the kernel drives
chip select, and has only the devices the overlays in config.txt would make.
"""

from pathlib import Path

import pytest
from pydantic import ValidationError

from board.app.config import parse_config
from board.core.errors import ConfigError
from sensors.emulated import CeLine, EmulatedClock, EmulatedMfrc522, EmulatedSpiBus, EmulatedSpiDev, EmulatedWall
from sensors.hardware import ReadersConfig
from sensors.mfrc522_regs import Reg
from sensors.rc522 import FULL_READ_EVERY_S
from sensors.spi_message import transfer_frames
from tests.sensors.test_emulated_chip import read_frame, write_frame

CARD = "04A1B2C3D4E5F6"
OVERLAY_PINS = [8, 7, 19, 26]


def wall_of_48(decoder_enables: list[str], pad: str, **readers) -> ReadersConfig:
    """48 slots on three 74HC154s enabled as given, and the coach pad."""
    return ReadersConfig(
        kind="rc522",
        decoder={"address_pins": [5, 6, 13, 12], "enable": decoder_enables},
        wiring={**{f"S{n}": {"chip_select": f"decoder{n}"} for n in range(48)}, "pad": {"chip_select": pad}},
        **readers,
    )


# docs/readers.md's 48-slot wiring, and the same wall before the overlay (CE1 then the no_cs device).
KERNEL_ENABLED = {"decoder_enables": ["ce2", "ce3", "ce0"], "pad": "ce1", "kernel_chip_selects": {"spi0": OVERLAY_PINS}}
GPIO_ENABLED = {"decoder_enables": ["ce0", "gpio19", "gpio26"], "pad": "gpio16"}


def calls_to_read(wall: EmulatedWall, reader) -> tuple[set[str], int]:
    before = wall.transfers
    return reader.poll(), wall.transfers - before


@pytest.mark.parametrize(
    ("wiring", "calls_for_a_card", "calls_for_an_empty_slot"),
    [(KERNEL_ENABLED, 9, 2), (GPIO_ENABLED, 19, 5)],  # a UID read again: 19 frames, in 9 calls or a call each
    ids=["decoders on kernel chip selects", "decoders on GPIO enables"],
)
def test_every_reader_of_a_48_slot_wall_reads_in_as_few_calls_as_its_decoder_s_enable_allows(
    wiring, calls_for_a_card, calls_for_an_empty_slot
):
    config = wall_of_48(**wiring)
    wall = EmulatedWall(config)
    cards = {f"S{n}": f"04{n:02X}B2C3D4E5F6" for n in range(0, 48, 2)}
    for slot, uid in cards.items():
        wall.chips[slot].place(uid)
    readers = wall.build_readers()
    wall.settle()
    for reader in readers.values():  # bring-up, then every UID read in full as every FULL_READ_EVERY_S
        reader.poll()
    wall.clock.advance(FULL_READ_EVERY_S)
    for slot in ("S40", "S41"):  # behind the third decoder: spidev0.0, or GPIO 26
        seen, calls = calls_to_read(wall, readers[slot])
        assert seen == ({cards[slot]} if slot in cards else set())
        assert calls == (calls_for_a_card if slot in cards else calls_for_an_empty_slot)
    assert {slot: reader.poll() for slot, reader in readers.items()} == {
        slot: {cards[slot]} if slot in cards else set() for slot in readers
    }
    assert wall.would_fail() == []


def test_frames_on_an_overlay_s_chip_select_are_separate_frames_for_the_chip():
    bus = EmulatedSpiBus(EmulatedClock(), chip_selects=4)
    chip = bus.attach(EmulatedMfrc522(bus.clock), CeLine(2))
    spi = EmulatedSpiDev({0: bus})
    spi.open(0, 2)
    bus.clock.advance(1e-3)
    transfer_frames(spi, [write_frame(Reg.T_RELOAD_LO, 0x42), write_frame(Reg.T_RELOAD_HI, 0x01)])
    assert (bus.transfers, bus.frames) == (1, 2)
    assert chip.transfer(read_frame(Reg.T_RELOAD_HI, Reg.T_RELOAD_LO))[1:] == [0x01, 0x42]


def test_a_pi_without_the_overlay_has_no_spidev0_2_and_the_error_names_the_config_txt_line():
    wall = EmulatedWall(wall_of_48(**KERNEL_ENABLED), chip_selects={0: 2})  # dtparam=spi=on only
    with pytest.raises(ConfigError, match=r"cannot open /dev/spidev0\.2 .*needs dtoverlay=wallboard-spi0-4cs"):
        wall.build_readers()


def test_readers_on_spi1_are_on_their_own_bus_and_hear_nothing_of_spi0():
    config = ReadersConfig(
        kind="rc522",
        decoder={"address_pins": [5, 6, 13], "enable": ["ce0", "spi1.0"]},
        wiring={"a": {"chip_select": "decoder0"}, "b": {"chip_select": "decoder8"}, "c": {"chip_select": "spi1.2"}},
    )
    wall = EmulatedWall(config)
    for reader_id in "abc":
        wall.chips[reader_id].place(f"04{ord(reader_id):02X}B2C3D4E5F6")
    readers = wall.build_readers()
    wall.settle()
    spi0_calls = wall.buses[0].transfers
    assert readers["b"].poll() == {"0462B2C3D4E5F6"} and readers["c"].poll() == {"0463B2C3D4E5F6"}
    assert wall.buses[0].transfers == spi0_calls and wall.buses[1].transfers > 0
    assert readers["a"].poll() == {"0461B2C3D4E5F6"}
    wall.clock.advance(FULL_READ_EVERY_S)
    assert calls_to_read(wall, readers["c"]) == ({"0463B2C3D4E5F6"}, 9)  # batched, as on CE0
    assert config.config_txt_lines() == ["dtparam=spi=on", "dtoverlay=spi1-3cs"]


@pytest.mark.parametrize(
    ("kernel_chip_selects", "line"),
    [
        ({}, "dtparam=spi=on"),
        ({"spi0": [8, 7]}, "dtparam=spi=on"),
        ({"spi0": [8, 16]}, "dtoverlay=spi0-2cs,cs1_pin=16"),
        ({"spi0": [8]}, "dtoverlay=spi0-1cs"),
        ({"spi0": OVERLAY_PINS}, "dtoverlay=wallboard-spi0-4cs"),
        ({"spi0": [8, 7, 16, 26]}, "dtoverlay=wallboard-spi0-4cs,cs2_pin=16"),
    ],
)
def test_the_config_says_which_config_txt_line_gives_the_kernel_its_chip_selects(kernel_chip_selects, line):
    config = ReadersConfig(kind="rc522", kernel_chip_selects=kernel_chip_selects, wiring={"a": {"chip_select": "ce0"}})
    assert config.config_txt_lines() == [line]


@pytest.mark.parametrize(
    ("readers", "message"),
    [
        ({"wiring": {"a": {"chip_select": "ce2"}}}, r"'a': SPI0 has no CE2: .*spi0 gives it 2 \(GPIO 8, 7\)"),
        ({"wiring": {"a": {"chip_select": "spi1.3"}}}, "SPI1 has no CE3"),
        ({"wiring": {"a": {"chip_select": "spi3.0"}}}, "SPI0 and SPI1"),
        ({"wiring": {"a": {"chip_select": "ce0"}, "b": {"chip_select": "spi0.0"}}}, "share spi0.0"),
        ({"kernel_chip_selects": {"spi0": [8, 7, 19]}}, "give 1 or 2 or 4 chip selects"),
        ({"kernel_chip_selects": {"spi0": [8, 7, 19, 19]}}, "listed twice"),
        ({"kernel_chip_selects": {"spi1": [18, 20]}}, "GPIO20 carries SPI1's data"),
        (
            {"decoder": {"address_pins": [5, 6, 13], "enable": ["ce0", "spi0.0"]}, "wiring": {}},
            "one line for two decoders",
        ),
    ],
)
def test_chip_select_mistakes_are_refused_with_a_message_that_names_them(readers, message):
    readers = {"wiring": {"a": {"chip_select": "ce0"}}} | readers
    with pytest.raises(ValidationError, match=message):
        ReadersConfig(kind="rc522", **readers)


WALL = """
[[levels]]
id = "A"
name = "Start"
slots = ["A1", "A2"]

[readers]
kind = "rc522"
coach_pad = false

[readers.kernel_chip_selects]
spi0 = {pins}

[readers.decoder]
address_pins = [5, 6, 13]
enable = ["ce0", "ce2"]

[readers.wiring]
A1 = {{ chip_select = "decoder0" }}
A2 = {{ chip_select = "decoder8" }}
"""


def test_a_chip_select_list_no_overlay_gives_is_named_with_its_line():
    with pytest.raises(ConfigError, match=r"line 12: readers.kernel_chip_selects.spi0: .*not 3"):
        parse_config(WALL.format(pins="[8, 7, 19]"), Path("wallboard.toml"))


def test_an_overlay_chip_select_on_an_led_pin_names_both_lines():
    # The overlay claims every chip select it lists, used by a reader or not: GPIO 27 here.
    with pytest.raises(
        ConfigError,
        match=r"GPIO27 is wired twice: SPI0 CE3 \(line 12: readers.kernel_chip_selects.spi0\), "
        r"LED 4 \(leds.pins, the default\)",
    ):
        parse_config(WALL.format(pins="[8, 7, 19, 27]"), Path("wallboard.toml"))


def test_the_48_slot_wiring_docs_readers_md_recommends_fits_the_default_leds_and_names_its_overlay():
    readers_doc = (Path(__file__).parents[2] / "docs" / "readers.md").read_text()
    wiring = readers_doc.split("```toml\n# 48 slots", 1)[1].split("```", 1)[0].split("\n", 1)[1]
    slots = ", ".join(f'"S{n}"' for n in range(48))
    more_slots = "".join(f'S{n} = {{ chip_select = "decoder{n}" }}\n' for n in range(1, 48))
    text = f'[[levels]]\nid = "A"\nname = "Start"\nslots = [{slots}]\n\n' + wiring + more_slots
    config = parse_config(text, Path("wallboard.toml"))
    assert len(config.pin_uses()) == len({use.bcm for use in config.pin_uses()})
    assert config.readers.config_txt_lines() == ["dtoverlay=wallboard-spi0-4cs"]
    assert config.readers.no_cs_device() is None and len(config.readers.kernel_devices()) == 4

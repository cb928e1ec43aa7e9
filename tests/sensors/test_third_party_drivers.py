"""Two drivers written without this emulator, run against it: a check on the emulator.

pi-rc522 2.3.0 (PyPI) and the stock `mfrc522` 0.0.7 package are driven exactly as
published, on the emulated spidev, under the worst-case chip. Where they read tags the
emulator's protocol core agrees with code that works on real readers; where they fail,
each test names who is at fault and the clause that says so. RPi.GPIO is stubbed for
their import only, and the stub fails if they call it.
"""

import logging

import pytest

from sensors import mfrc522_regs as r
from sensors.bench_readers import import_off_a_pi
from sensors.emulated import VARIANTS, EmulatedTag, EmulatedWall
from sensors.hardware import ReadersConfig

CARD = "04A1B2C3D4E5F6"
BADGE = "DEADBEEF"
TEN_BYTES = "0102030405060708090A"


def emulated_spi(*, overhead_s: float = 50e-6, behaviour=None):
    config = ReadersConfig(kind="rc522", wiring={"slot": {"chip_select": "ce0"}})
    wall = EmulatedWall(config, call_overhead_s=overhead_s, **({"behaviour": behaviour} if behaviour else {}))
    wall.settle()  # the chip's oscillator and t_delay after power-on
    spi = wall.spi_factory()
    spi.open(0, 0)
    spi.max_speed_hz = 1_000_000
    return wall, wall.chips["slot"], spi


def pi_rc522(**wall_options):
    """pi-rc522's RFID on our spidev: its __init__ would open spidev and set up GPIO itself."""
    rfid_class = import_off_a_pi("pirc522.rfid").RFID
    wall, chip, spi = emulated_spi(**wall_options)
    rfid = rfid_class.__new__(rfid_class)
    rfid.pin_rst, rfid.pin_ce, rfid.pin_irq, rfid.spi = 0, 0, None, spi
    rfid.init()
    return wall, chip, rfid


def stock_mfrc522(**wall_options):
    """The package's MFRC522 on our spidev, with none of our wrapper's fixes."""
    chip_class = import_off_a_pi("mfrc522").MFRC522
    wall, chip, spi = emulated_spi(**wall_options)
    package = chip_class.__new__(chip_class)
    package.spi = spi
    package.logger = logging.getLogger("mfrc522Logger")
    package.MFRC522_Init()
    return wall, chip, package


def read_id(rfid) -> str | None:
    uid = rfid.read_id()
    return bytes(uid).hex().upper() if uid else None


# --- pi-rc522 2.3.0


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("uid", [BADGE, CARD])
def test_pi_rc522_reads_4_and_7_byte_uids_through_the_emulated_chip(variant, uid):
    # Agreement: REQA, anticollision, SELECT with the chip's CRC coprocessor and cascade
    # level 2 work as a driver written against real chips expects, under every reading.
    wall, chip, rfid = pi_rc522(behaviour=VARIANTS[variant])
    chip.place(uid)
    wall.settle()
    assert read_id(rfid) == uid


def test_pi_rc522_sees_a_resting_card_on_every_other_poll_because_it_never_halts_it():
    # Driver at fault. ISO/IEC 14443-3 type A PICC states: a PICC in READY (or ACTIVE) that
    # receives REQA treats it as unexpected and goes back to IDLE without answering; only
    # the next REQA finds it. pi-rc522's read_id leaves the tag READY and never sends HLTA.
    wall, chip, rfid = pi_rc522()
    chip.place(CARD)
    wall.settle()
    assert [read_id(rfid) for _ in range(4)] == [CARD, None, CARD, None]


def test_pi_rc522_stops_at_cascade_level_2_and_reports_a_wrong_uid_for_10_bytes():
    # Driver at fault. ISO/IEC 14443-3 type A UID cascade levels: a cascade tag (0x88) opening level 2 means the
    # UID goes on at cascade level 3 (SAK bit 3 says the same); read_id takes CT+3 bytes of
    # level 2 as the end of the UID.
    wall, chip, rfid = pi_rc522()
    chip.place(TEN_BYTES)
    wall.settle()
    assert read_id(rfid) == "01020388040506"


def test_pi_rc522_sees_nothing_when_a_badge_lies_on_a_card():
    # Driver at fault. ISO/IEC 14443-3 type A anticollision loop: a collision calls for an
    # anticollision frame with the known bits; read_id gives up on the first collision.
    wall, chip, rfid = pi_rc522()
    chip.place(CARD, BADGE)
    wall.settle()
    assert [read_id(rfid) for _ in range(3)] == [None] * 3


def test_pi_rc522_starts_calccrc_with_crcirq_still_set():
    # Driver at fault, caught by the emulator's log (a real chip would hide it while its CRC
    # is quicker than an SPI call). Datasheet, DivIrqReg: with Set2 = 0 a write
    # clears the bits written as 1; clear_bitmask(DivIrqReg, 0x04) writes CRCIRq as 0, so it
    # clears every other bit and leaves CRCIRq set, and the wait for the CRC ends at once.
    wall, chip, rfid = pi_rc522()
    chip.place(CARD)
    wall.settle()
    for _ in range(3):
        rfid.read_id()
    assert chip.would_fail and all("CRCIRq still set" in entry for entry in chip.would_fail)


def test_pi_rc522_writes_to_a_chip_still_in_reset_on_a_fast_bus():
    # Driver at fault. Datasheet 8.8.2: the chip can be addressed t_delay (37.74 us) after its
    # clock is stable, which CommandReg PowerDown shows; pi-rc522 writes TModeReg right after
    # SoftReset without looking, so with 20 us SPI calls that write is lost.
    wall, chip, rfid = pi_rc522(overhead_s=20e-6)
    assert any("0x2A" in entry and "PowerDown" in entry for entry in chip.would_fail)


# --- the stock mfrc522 0.0.7 package


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_stock_package_reads_a_4_byte_uid(variant):
    wall, chip, package = stock_mfrc522(behaviour=VARIANTS[variant])
    chip.place(BADGE)
    wall.settle()
    status, _ = package.MFRC522_Request(package.PICC_REQIDL)
    assert status == package.MI_OK
    status, level = package.MFRC522_Anticoll()
    assert (status, bytes(level[:4]).hex().upper()) == (package.MI_OK, BADGE)
    assert chip.would_fail == []


def test_the_stock_package_reports_cascade_level_1_of_a_7_byte_uid_as_the_uid():
    # Package at fault. ISO/IEC 14443-3 type A UID cascade levels: level 1 of a double-size UID is the cascade tag
    # 0x88 and three UID bytes; MFRC522_Anticoll returns it as if it were the whole UID.
    wall, chip, package = stock_mfrc522()
    chip.place(CARD)
    wall.settle()
    package.MFRC522_Request(package.PICC_REQIDL)
    status, level = package.MFRC522_Anticoll()
    assert bytes(level[:4]) == EmulatedTag(CARD).levels[0][:4] and level[0] == r.CASCADE_TAG


def test_the_stock_package_leaves_crcirq_set_before_a_crc():
    # Package at fault, as pi-rc522 (datasheet, DivIrqReg): ClearBitMask(DivIrqReg, 0x04).
    # Our wrapper (readers.kind = "mfrc522") clears CRCIRq itself first.
    wall, chip, package = stock_mfrc522()
    chip.place(CARD)
    wall.settle()
    for _ in range(2):
        package.MFRC522_Request(package.PICC_REQIDL)
        _, level = package.MFRC522_Anticoll()
        package.MFRC522_SelectTag(level)
        package.AntennaOff()
        wall.clock.advance(10e-3)
        package.AntennaOn()
        wall.clock.advance(10e-3)
    assert any("CRCIRq still set" in entry for entry in chip.would_fail)


def test_the_stock_package_writes_to_a_chip_still_in_reset_on_a_fast_bus():
    # Package at fault (datasheet 8.8.2, as pi-rc522): MFRC522_Init writes TModeReg right
    # after SoftReset; our wrapper waits for CommandReg PowerDown to clear first.
    wall, chip, package = stock_mfrc522(overhead_s=20e-6)
    assert any("0x2A" in entry and "PowerDown" in entry for entry in chip.would_fail)

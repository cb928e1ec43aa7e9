"""readers.kind = "mfrc522": the package behind our wrapper, on the emulated chip.

RPi.GPIO is stubbed for the package's import only (bench_readers.import_mfrc522_package);
the stub raises if anything calls it, so these tests also prove the wrapper never does.
"""

import sys

import pytest

from board.core.errors import ConfigError, ReaderFault
from sensors import mfrc522_package
from sensors.base import Reader
from sensors.bench_readers import _TutorialReader, import_mfrc522_package
from sensors.emulated import EmulatedWall
from sensors.hardware import ReadersConfig

CARD = "04A1B2C3D4E5F6"
BADGE = "DEADBEEF"


@pytest.fixture
def package():
    return import_mfrc522_package()


def package_wall(**wiring):
    config = ReadersConfig(kind="mfrc522", wiring={k: {"chip_select": v} for k, v in wiring.items()})
    wall = EmulatedWall(config, call_overhead_s=50e-6)
    return wall, wall.build_readers()


def test_off_a_pi_the_package_is_a_config_error_that_points_to_rc522(monkeypatch):
    for name in [name for name in sys.modules if name == "mfrc522" or name.startswith(("mfrc522.", "RPi"))]:
        monkeypatch.delitem(sys.modules, name)
    mfrc522_package.package_chip_class.cache_clear()
    try:
        with pytest.raises(ConfigError, match='use "rc522"'):
            mfrc522_package.package_chip_class()
    finally:
        mfrc522_package.package_chip_class.cache_clear()


@pytest.mark.parametrize("uid", [BADGE, CARD])
def test_the_wrapper_reads_4_and_7_byte_uids_in_full_on_every_poll(package, uid):
    wall, readers = package_wall(pad="ce0")
    wall.chips["pad"].place(uid)
    wall.settle()
    assert isinstance(readers["pad"], Reader)
    assert [readers["pad"].poll() for _ in range(4)] == [frozenset({uid})] * 4


def test_two_readers_on_ce0_and_ce1_each_read_their_own_card(package):
    wall, readers = package_wall(a="ce0", b="ce1")
    wall.chips["a"].place(CARD)
    wall.chips["b"].place(BADGE)
    wall.settle()
    assert (readers["a"].poll(), readers["b"].poll()) == ({CARD}, {BADGE})


def test_a_missing_chip_is_a_reader_fault_not_an_empty_slot(package):
    wall, readers = package_wall(pad="ce0")
    wall.chips["pad"].unplug()
    with pytest.raises(ReaderFault, match="no MFRC522"):
        readers["pad"].poll()


def test_the_package_waits_two_thousand_register_reads_on_an_empty_slot(package):
    # The measured reason the multi-reader driver exists: its wait loop ignores the timer.
    wall, readers = package_wall(pad="ce0")
    readers["pad"].poll()
    before = wall.bus.transfers
    assert readers["pad"].poll() == frozenset()
    assert wall.bus.transfers - before > 2000


def test_the_tutorials_read_id_sees_a_resting_card_only_every_other_poll(package):
    # What the wrapper's field reset fixes: a card left READY ignores the next REQA.
    wall, _ = package_wall(pad="ce0")
    spi = wall.spi_factory()
    spi.open(0, 0)
    wall.chips["pad"].place(CARD)
    tutorial = _TutorialReader(spi)
    tutorial.poll()  # the chip's antenna comes on
    wall.settle()
    assert [bool(tutorial.poll()) for _ in range(4)] == [True, False, True, False]


def test_closing_releases_only_our_spi_handle_and_is_safe_twice(package):
    wall, readers = package_wall(pad="ce0")
    with readers["pad"] as reader:
        reader.poll()
    reader.close()
    with pytest.raises(ReaderFault, match="closed"):
        reader.poll()


@pytest.mark.parametrize("overhead_s", [20e-6, 300e-6])
def test_the_wrapper_does_nothing_a_real_chip_would_punish(package, overhead_s):
    # Unlike the bare package it waits out SoftReset and clears CRCIRq before a CRC.
    config = ReadersConfig(kind="mfrc522", wiring={"pad": {"chip_select": "ce0"}})
    wall = EmulatedWall(config, call_overhead_s=overhead_s)
    reader = wall.build_readers()["pad"]
    wall.chips["pad"].place(CARD)
    assert [reader.poll() for _ in range(3)] == [frozenset({CARD})] * 3
    assert wall.would_fail() == []

"""A 24-slot wall of emulated RC522s, swept together and through the real scanner."""

import pytest

from board.core.errors import ReaderFault
from sensors import mfrc522_regs as r
from sensors.emulated import EmulatedWall, Fault
from sensors.events import ReaderOffline, ReaderOnline, TagGone, TagSeen
from sensors.hardware import ReadersConfig
from sensors.mfrc522_regs import Reg
from sensors.scanner import Scanner
from sensors.sweep import poll_together

SLOTS = [f"S{n}" for n in range(24)]
SWEEP_PAUSE_S = 0.02  # readers.poll_interval
BADGE = "C0AC0001"


def card(n: int) -> str:
    return f"04{n:02X}A1B2C3D4E5"


def full_wall(*, call_overhead_s: float = 50e-6, **config):
    """24 slots on two 4-to-16 decoders, a 7-byte card in each; returns the wall and its readers."""
    config = ReadersConfig(
        kind="rc522",
        reset_pin=25,
        decoder={"address_pins": [5, 6, 13, 12], "enable": ["gpio19", "gpio26"]},
        wiring={slot: {"chip_select": f"decoder{n}"} for n, slot in enumerate(SLOTS)},
        **config,
    )
    wall = EmulatedWall(config, call_overhead_s=call_overhead_s)
    for n, slot in enumerate(SLOTS):
        wall.chips[slot].place(card(n))
    readers = wall.build_readers()
    wall.settle()
    return wall, readers


def wall_of_24():
    wall, readers = full_wall()
    scanner = Scanner(readers, retry_min=1.0, retry_max=60.0, monotonic=wall.clock.now)  # the default debounce
    return wall, scanner


def test_one_sweep_reads_every_card_and_a_badge_held_against_one_within_50_ms():
    wall, readers = full_wall(call_overhead_s=20e-6)
    wall.chips["S9"].place(BADGE)
    wall.settle()
    poll_together(readers)  # bring-up
    started = wall.clock.now()
    outcomes = poll_together(readers)
    assert outcomes == {slot: {card(n), BADGE} if slot == "S9" else {card(n)} for n, slot in enumerate(SLOTS)}
    assert wall.clock.now() - started <= 50e-3


def test_with_the_antenna_off_between_polls_no_two_fields_are_ever_on_together():
    wall, readers = full_wall(antenna_off_between_polls=True)
    fields_on = []
    wall.clock.subscribe(lambda now: fields_on.append(sum(chip.antenna_on for chip in wall.chips.values())))
    assert [poll_together(readers) for _ in range(2)][-1] == {slot: {card(n)} for n, slot in enumerate(SLOTS)}
    assert max(fields_on) == 1


@pytest.mark.parametrize("fault", [Fault.UNPLUGGED, Fault.SILENT, Fault.GARBAGE])
def test_a_reader_failing_in_the_middle_of_its_poll_is_a_fault_and_the_other_23_read_their_cards(fault):
    wall, readers = full_wall()
    poll_together(readers)  # bring-up
    chip = wall.chips["S7"]
    transfer = chip.transfer
    start_send = [r.spi_address(Reg.BIT_FRAMING, read=False), r.BIT_FRAMING_START_SEND]

    def failing_once_its_first_frame_is_on_air(mosi):
        miso = transfer(mosi)
        if chip.fault is Fault.NONE and [mosi[0], mosi[1] & r.BIT_FRAMING_START_SEND] == start_send:
            chip.fail(fault)
        return miso

    chip.transfer = failing_once_its_first_frame_is_on_air
    outcomes = poll_together(readers)
    assert chip.fault is fault and isinstance(outcomes.pop("S7"), ReaderFault)
    assert outcomes == {slot: {card(n)} for n, slot in enumerate(SLOTS) if slot != "S7"}


def sweep(wall, scanner, times: int = 1) -> list:
    events = []
    for _ in range(times):
        events += scanner.sweep()
        wall.clock.advance(SWEEP_PAUSE_S)
    return events


def test_every_card_on_the_wall_is_reported_within_a_few_sweeps():
    wall, scanner = wall_of_24()
    events = sweep(wall, scanner, 3)
    assert sorted(events, key=str) == sorted((TagSeen(slot, card(n)) for n, slot in enumerate(SLOTS)), key=str)


def test_a_reader_that_fails_and_recovers_leaves_the_other_23_reporting():
    wall, scanner = wall_of_24()
    sweep(wall, scanner, 3)
    wall.chips["S7"].unplug()
    (offline,) = sweep(wall, scanner)
    assert isinstance(offline, ReaderOffline) and offline.reader == "S7" and "stopped answering" in offline.error
    # While S7 is offline, a card moves from S3 to S5 (lifted, S5 emptied first).
    (lifted,) = wall.chips["S3"].tags
    wall.chips["S3"].remove(lifted)
    wall.chips["S5"].clear_field()
    wall.chips["S5"].place(card(3))
    during = sweep(wall, scanner, 20)
    assert set(during) == {TagGone("S3", card(3)), TagGone("S5", card(5)), TagSeen("S5", card(3))}
    wall.chips["S7"].plug_in()
    back = sweep_until_something_happens(wall, scanner)  # past the scanner's and the driver's retry pauses
    assert back == [ReaderOnline("S7")]  # and its card never left the board
    assert sweep(wall, scanner, 5) == [] and scanner.present("S7") == {card(7)}


def sweep_until_something_happens(wall, scanner, limit: int = 200) -> list:
    for _ in range(limit):
        if events := sweep(wall, scanner):
            return events
    return []


def test_cards_missed_on_30_percent_of_polls_never_cause_phantom_events():
    wall, scanner = wall_of_24()
    for chip in wall.chips.values():
        chip.lose_tags(0.3)
    seen = sweep(wall, scanner, 10)
    assert sorted(seen, key=str) == sorted((TagSeen(slot, card(n)) for n, slot in enumerate(SLOTS)), key=str)
    assert sweep(wall, scanner, 150) == []

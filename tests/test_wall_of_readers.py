"""A 24-slot wall of emulated RC522s through the real scanner: what the board hears."""

from sensors.emulated import EmulatedWall
from sensors.events import ReaderOffline, ReaderOnline, TagGone, TagSeen
from sensors.hardware import ReadersConfig
from sensors.scanner import Scanner

SLOTS = [f"S{n}" for n in range(24)]
SWEEP_PAUSE_S = 0.02  # readers.poll_interval


def card(n: int) -> str:
    return f"04{n:02X}A1B2C3D4E5"


def wall_of_24():
    config = ReadersConfig(
        kind="rc522",
        reset_pin=25,
        decoder={"address_pins": [5, 6, 13, 12], "enable": ["gpio19", "gpio26"]},
        wiring={slot: {"chip_select": f"decoder{n}"} for n, slot in enumerate(SLOTS)},
    )
    wall = EmulatedWall(config)
    for n, slot in enumerate(SLOTS):
        wall.chips[slot].place(card(n))
    readers = wall.build_readers()
    wall.settle()
    scanner = Scanner(readers, present_after=2, gone_after=12, retry_min=1.0, retry_max=60.0, monotonic=wall.clock.now)
    return wall, scanner


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

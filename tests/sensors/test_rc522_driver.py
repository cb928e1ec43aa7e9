"""The RC522 driver against the emulated chip: what a slot reader must get right.

The chip and its tags behave as badly as the datasheet and ISO 14443-3 allow (see
sensors/emulated.py); every test runs under each reading of what the datasheet leaves
open, and no test may leave an entry in the chip's "would fail on a real chip" log.
"""

import pytest

from board.core.errors import ReaderFault
from sensors.base import Reader
from sensors.emulated import VARIANTS, WORST, EmulatedTag, EmulatedWall, Fault, TagState
from sensors.hardware import ReadersConfig
from sensors.rc522 import RETRY_FIRST_S

CARD = "04A1B2C3D4E5F6"  # NTAG21x sticker on a polaroid: 7-byte UID
BADGE = "DEADBEEF"  # MIFARE Classic coach badge: 4-byte UID
SHARING_LEVEL_1 = {"04A1B2C3D4E5F6", "04A1B2C3D4E5F7", "04A1B2FFD4E5F7"}
TEN_BYTES = "0102030405060708090A"

_walls: list[EmulatedWall] = []
_variant = [WORST]


@pytest.fixture(autouse=True, params=VARIANTS)
def on_every_variant_nothing_a_real_chip_would_punish(request):
    _variant[0] = VARIANTS[request.param]
    _walls.clear()
    yield
    assert [entry for wall in _walls for entry in wall.would_fail()] == []


def slot_reader(
    *, overhead_s: float = 50e-6, speed_hz: int = 4_000_000, version: int = 0x92, frame_errors: float = 0.0, **config
):
    """A reader on CE0 of a chip behaving as the test's variant, on a channel breaking `frame_errors` of frames."""
    wiring = {
        "chip_select": config.pop("chip_select", "ce0"),
        **{k: config.pop(k) for k in ("irq_pin",) if k in config},
    }
    readers_config = ReadersConfig(kind="rc522", spi_speed_hz=speed_hz, wiring={"slot": wiring}, **config)
    behaviour = _variant[0].corrupted(frame_errors)
    wall = EmulatedWall(readers_config, call_overhead_s=overhead_s, version=version, behaviour=behaviour)
    _walls.append(wall)
    return wall, wall.chips["slot"], wall.build_readers()["slot"]


def timed_poll(wall, reader):
    """Poll once; return the UIDs, the emulated seconds and the SPI transfers it cost."""
    started, transfers = wall.clock.now(), wall.bus.transfers
    uids = reader.poll()
    return uids, wall.clock.now() - started, wall.bus.transfers - transfers


def test_the_driver_is_a_reader():
    _, _, reader = slot_reader()
    assert isinstance(reader, Reader)


@pytest.mark.parametrize("version", [0x91, 0x92, 0x88, 0xB2, 0x12])
def test_genuine_chips_and_the_common_clones_are_accepted(version):
    _, _, reader = slot_reader(version=version)
    assert reader.poll() == frozenset()
    assert f"0x{version:02X}" in reader.chip_version


def test_a_chip_with_an_unknown_version_is_a_reader_fault():
    _, _, reader = slot_reader(version=0x55)
    with pytest.raises(ReaderFault, match="0x55"):
        reader.poll()


def test_a_missing_chip_is_a_reader_fault_not_an_empty_slot():
    _, chip, reader = slot_reader()
    chip.unplug()
    with pytest.raises(ReaderFault, match="no chip answers"):
        reader.poll()


def test_an_empty_slot_costs_one_short_timer_not_two_thousand_register_reads():
    wall, _, reader = slot_reader(overhead_s=20e-6)
    reader.poll()  # bring-up
    uids, seconds, transfers = timed_poll(wall, reader)
    assert uids == frozenset()
    assert 1e-3 <= seconds <= 2e-3
    assert transfers <= 20


@pytest.mark.parametrize("uid", ["DEADBEEF", "04A1B2C3D4E5F6", "0102030405060708090A"])
def test_uids_of_4_7_and_10_bytes_are_read_in_full_on_every_poll(uid):
    wall, chip, reader = slot_reader()
    chip.place(uid)
    wall.settle()
    assert [reader.poll() for _ in range(5)] == [frozenset({uid})] * 5


@pytest.mark.parametrize("overhead_s", [20e-6, 300e-6])
@pytest.mark.parametrize("speed_hz", [1_000_000, 8_000_000])
def test_a_card_is_seen_on_every_poll_whatever_the_bus_speed_and_call_overhead(overhead_s, speed_hz):
    wall, chip, reader = slot_reader(overhead_s=overhead_s, speed_hz=speed_hz)
    chip.place(CARD)
    wall.settle()
    assert all(reader.poll() == {CARD} for _ in range(50))


def card_read_and_checked(**wiring):
    """A card's first poll (its UID read), the next one (checked), and their SPI calls and frames."""
    wall, chip, reader = slot_reader(**wiring)
    reader.poll()  # bring-up, the field empty
    chip.place(CARD)
    wall.settle()
    polls = []
    for _ in range(2):
        frames = wall.bus.frames
        uids, _seconds, calls = timed_poll(wall, reader)
        polls.append((uids, calls, wall.bus.frames - frames))
    return reader, polls


def test_a_card_s_uid_costs_two_spi_calls_a_frame_and_its_check_on_the_next_poll_five():
    # Reading the UID: WUPA, anticollision and SELECT of level 1, anticollision of level 2. One
    # call clears the IRQs, fills the FIFO and sets StartSend (a chip-select frame each, in one
    # SPI message), one reads the status with the answer. The card is left READY, so the next
    # poll checks it: HLTA, WUPA and one anticollision frame, 5 calls.
    _reader, (read, checked) = card_read_and_checked()
    assert read[:2] == ({CARD}, 4 * 2)
    assert checked == ({CARD}, 1 + 2 * 2, 2 + 5 + 4)  # HLTA 2 frames, WUPA 4 (Transceive restarted) + 1, then 3 + 1


def test_with_a_gpio_chip_select_each_frame_is_its_own_call_since_the_kernel_cannot_separate_them():
    _reader, (read, checked) = card_read_and_checked(chip_select="gpio17")
    assert read[1] == read[2] and checked[1] == checked[2] == 11


def test_a_checked_card_has_its_uid_read_again_every_two_seconds():
    wall, chip, reader = slot_reader()
    chip.place(CARD)
    wall.settle()
    calls = []
    for _ in range(40):
        calls.append(timed_poll(wall, reader)[2])
        wall.clock.advance(0.25)
    assert calls.count(5) >= 30
    assert 3 <= len([c for c in calls if c >= 8]) <= 6  # the bring-up's read, then one every ~2 s


def test_a_badge_held_against_a_checked_card_is_read_on_the_next_poll():
    wall, chip, reader = slot_reader()
    chip.place(CARD)
    wall.settle()
    assert [reader.poll() for _ in range(3)] == [{CARD}] * 3
    chip.place(BADGE)
    wall.settle()
    assert reader.poll() == {CARD, BADGE}


def swapped_between_checks(other: str):
    wall, chip, reader = slot_reader()
    chip.place(CARD)
    wall.settle()
    assert [reader.poll() for _ in range(3)] == [{CARD}] * 3
    chip.clear_field()
    chip.place(other)
    wall.settle()
    return wall, reader


def test_a_card_swapped_for_another_between_two_checks_is_read_on_the_next_poll():
    _wall, reader = swapped_between_checks("04C1B2C3D4E5F7")
    assert reader.poll() == {"04C1B2C3D4E5F7"}


def test_a_card_swapped_for_one_with_the_same_first_cascade_level_is_read_within_two_seconds():
    # The check compares the first cascade level only (an NTAG's 0x88, 04 and two serial bytes).
    wall, reader = swapped_between_checks("04A1B2C3D4E5F7")
    polls = []
    for _ in range(25):
        polls.append(reader.poll())
        wall.clock.advance(0.1)
    assert polls[-1] == {"04A1B2C3D4E5F7"} and polls.index({"04A1B2C3D4E5F7"}) <= 20


@pytest.mark.parametrize("tags", [[CARD], [CARD, BADGE]])
def test_a_chip_slower_than_the_air_times_is_given_more_time_and_still_reads_every_tag(tags):
    # Its answers reach the FIFO late, so a look comes while one is still arriving and takes
    # part of it: the short answer is rejected, never read as a UID, and later looks wait longer.
    wall, chip, reader = slot_reader()
    chip.receive_lag_s = 300e-6
    chip.place(*tags)
    wall.settle()
    assert [reader.poll() for _ in range(5)] == [frozenset(tags)] * 5


def test_a_badge_held_against_a_polaroid_is_read_together_with_the_card():
    wall, chip, reader = slot_reader()
    (card,) = chip.place(CARD)
    wall.settle()
    assert reader.poll() == {CARD}
    (badge,) = chip.place(BADGE)
    wall.settle()
    assert [reader.poll() for _ in range(3)] == [frozenset({CARD, BADGE})] * 3
    chip.remove(badge)
    assert reader.poll() == {CARD}


def test_tags_that_share_their_first_cascade_level_are_told_apart():
    wall, chip, reader = slot_reader()
    uids = {"04A1B2C3D4E5F6", "04A1B2C3D4E5F7", "04A1B2FFD4E5F7"}
    chip.place(*uids)
    wall.settle()
    assert reader.poll() == uids


def test_a_card_taken_away_is_gone_on_the_next_poll():
    wall, chip, reader = slot_reader()
    (card,) = chip.place(CARD)
    wall.settle()
    assert reader.poll() == {CARD}
    chip.remove(card)
    assert reader.poll() == frozenset()


def test_a_flickering_card_is_sometimes_missed_but_never_read_as_another_uid():
    wall, chip, reader = slot_reader()
    chip.place(CARD, BADGE)
    chip.lose_tags(0.3)
    wall.settle()
    seen = [reader.poll() for _ in range(300)]
    assert all(uids <= {CARD, BADGE} for uids in seen)
    assert 0.5 < sum(CARD in uids for uids in seen) / len(seen) < 1


def test_with_the_antenna_off_between_polls_cards_are_still_seen_every_poll():
    wall, chip, reader = slot_reader(antenna_off_between_polls=True)
    chip.place(CARD, BADGE)
    assert [reader.poll() for _ in range(3)] == [frozenset({CARD, BADGE})] * 3
    assert not chip.antenna_on


def test_with_the_antenna_off_between_polls_a_poll_failing_half_way_leaves_the_field_off():
    wall, chip, reader = slot_reader(antenna_off_between_polls=True)
    chip.place(CARD)
    assert reader.poll() == {CARD}
    transfer = wall.bus.transfer
    failed = []

    def failing_once_the_field_is_on(mosi, **kwargs):
        if chip.antenna_on and not failed:
            failed.append(mosi)
            raise OSError(5, "Input/output error")
        return transfer(mosi, **kwargs)

    wall.bus.transfer = failing_once_the_field_is_on
    with pytest.raises(ReaderFault, match="SPI transfer failed"):
        reader.poll()
    assert failed and not chip.antenna_on


def test_a_tag_slower_than_iso_allows_is_read_once_the_power_up_wait_is_raised():
    wall, chip, reader = slot_reader(antenna_off_between_polls=True)
    chip.place(EmulatedTag(CARD, power_up_s=7e-3))
    assert reader.poll() == frozenset()
    wall, chip, reader = slot_reader(antenna_off_between_polls=True, tag_power_up_ms=8)
    chip.place(EmulatedTag(CARD, power_up_s=7e-3))
    assert reader.poll() == {CARD}


def test_tags_using_all_of_isos_power_up_time_are_read_on_the_first_poll():
    wall, chip, reader = slot_reader()
    chip.place(CARD, BADGE)  # 5 ms each before they answer; the field comes on at bring-up
    assert reader.poll() == {CARD, BADGE}


@pytest.mark.parametrize("tags", [[CARD], [CARD, BADGE]])
def test_with_the_antenna_off_between_polls_tags_that_keep_their_state_are_woken_every_poll(tags):
    # Polled back to back, the field is off for far less than ISO's 5 ms reset: the tags stay
    # halted through the gap, and WUPA wakes them. Each poll pays the 5 ms power-up wait.
    wall, chip, reader = slot_reader(antenna_off_between_polls=True)
    chip.place(*tags)
    polls = [timed_poll(wall, reader) for _ in range(20)]
    assert [uids for uids, _, _ in polls] == [frozenset(tags)] * 20
    assert all(seconds >= 5e-3 for _, seconds, _ in polls)
    # HLTA was all on air before the field went: no tag is left READY, deaf to the next WUPA.
    assert {tag.state for tag in chip.tags} <= {TagState.IDLE, TagState.HALT}


@pytest.mark.parametrize("tags", [[CARD], [BADGE], [TEN_BYTES], [CARD, BADGE], sorted(SHARING_LEVEL_1)])
def test_every_tag_is_read_on_every_poll_whichever_way_the_datasheet_is_read(tags):
    wall, chip, reader = slot_reader()
    chip.place(*tags)
    wall.settle()
    assert [reader.poll() for _ in range(5)] == [frozenset(tags)] * 5


@pytest.mark.parametrize("antenna_off_between_polls", [False, True], ids=["field on", "field off between polls"])
@pytest.mark.parametrize("tags", [[CARD], [CARD, BADGE]], ids=["card", "badge on card"])
def test_with_one_frame_in_a_hundred_broken_tags_are_seen_on_999_polls_in_1000(tags, antenna_off_between_polls):
    wall, chip, reader = slot_reader(frame_errors=0.01, antenna_off_between_polls=antenna_off_between_polls)
    chip.place(*tags)
    wall.settle()
    polls = [reader.poll() for _ in range(1000)]
    assert all(uids <= set(tags) for uids in polls)
    assert sum(uids == set(tags) for uids in polls) >= 999


@pytest.mark.parametrize("early_us", [20, 60, 120, 250])
def test_a_card_lifted_while_it_answers_is_never_read_as_another_uid(early_us):
    wall, chip, reader = slot_reader()
    outcomes = []
    for lift_at_step in range(6):
        (card,) = chip.place(CARD)
        wall.settle()
        reader.poll()
        steps, step = reader.poll_steps(), 0
        try:
            wake_at = next(steps)
            while True:
                if step == lift_at_step:  # while the answer this look waits for is on air
                    wall.clock.advance(max(wake_at - early_us * 1e-6 - wall.clock.now(), 0))
                    chip.remove(card)
                wall.clock.advance(max(wake_at - wall.clock.now(), 0))
                wake_at, step = steps.send(None), step + 1
        except StopIteration as done:
            outcomes.append(done.value)
        if card in chip.tags:
            chip.remove(card)
    assert all(uids <= {CARD} for uids in outcomes)
    assert frozenset() in outcomes


def test_a_reader_answering_garbage_is_a_fault_and_recovers_when_the_chip_heals():
    wall, chip, reader = slot_reader()
    chip.place(CARD)
    wall.settle()
    assert reader.poll() == {CARD}
    chip.fail(Fault.GARBAGE)
    with pytest.raises(ReaderFault, match="garbage"):
        reader.poll()
    chip.fail(Fault.NONE)
    assert reader.poll() == {CARD}


def test_a_dead_reader_is_retried_with_growing_pauses_and_costs_no_spi_in_between():
    wall, chip, reader = slot_reader()
    reader.poll()
    chip.unplug()
    attempts = []
    for _ in range(400):
        transfers = wall.bus.transfers
        with pytest.raises(ReaderFault):
            reader.poll()
        if wall.bus.transfers > transfers:
            attempts.append(wall.clock.now())
        wall.clock.advance(10e-3)
    pauses = [later - earlier for earlier, later in zip(attempts, attempts[1:])]
    assert pauses[0] < RETRY_FIRST_S  # a first fault is retried at once
    assert pauses[1:4] == sorted(pauses[1:4]) and pauses[3] > 2 * pauses[1]


def test_a_chip_that_stops_answering_holds_the_bus_for_only_a_few_transfers():
    wall, chip, reader = slot_reader()
    reader.poll()
    chip.fail(Fault.SILENT)
    for _ in range(2):  # the fault, then the first retry at once
        with pytest.raises(ReaderFault, match="stopped answering|no chip answers"):
            reader.poll()
    wall.clock.advance(RETRY_FIRST_S)
    started, before = wall.clock.now(), wall.bus.transfers
    with pytest.raises(ReaderFault):
        reader.poll()
    assert wall.bus.transfers - before <= 5 and wall.clock.now() - started < 1e-3


def test_a_failing_spi_transfer_is_a_reader_fault_and_the_next_poll_tries_again():
    wall, chip, reader = slot_reader()
    chip.place(CARD)
    wall.settle()
    reader.poll()
    transfer = wall.bus.transfer

    def broken(*args, **kwargs):
        raise OSError(5, "Input/output error")

    wall.bus.transfer = broken
    with pytest.raises(ReaderFault, match="SPI transfer failed"):
        reader.poll()
    wall.bus.transfer = transfer
    assert reader.poll() == {CARD}


def test_a_chip_that_lost_power_between_polls_is_reported_and_brought_up_again():
    wall, chip, reader = slot_reader()
    chip.place(CARD)
    wall.settle()
    assert reader.poll() == {CARD}
    chip.unplug()
    chip.plug_in()
    with pytest.raises(ReaderFault, match="reset"):
        reader.poll()
    assert reader.poll() == {CARD}


def test_with_an_irq_pin_an_empty_slot_costs_a_handful_of_transfers():
    wall, chip, reader = slot_reader(irq_pin=4)
    reader.poll()
    uids, seconds, transfers = timed_poll(wall, reader)
    assert uids == frozenset() and transfers <= 6 and seconds < 2e-3
    chip.place(CARD)
    wall.settle()
    assert reader.poll() == {CARD}


def test_close_is_safe_twice_and_a_closed_reader_refuses_to_poll():
    _, _, reader = slot_reader()
    with reader:
        reader.poll()
    reader.close()
    with pytest.raises(ReaderFault, match="closed"):
        reader.poll()

"""A quiet 48-slot wall of emulated RC522s through the real scanner, swept as the service sweeps it
with `recheck_cards_every = 0.5` (a technician's setting, off by default): what it costs a Pi 3,
and that a card taken off or swapped is still noticed.

Costs are SPI calls and bytes on the emulated clock (the same on any machine), priced at
the bench's Pi 3 figure per call; times are emulated seconds.
"""

import pytest

from board.core.settings import Scanning
from sensors.bench_readers import PER_CALL_US, wall_wiring
from sensors.emulated import EmulatedWall
from sensors.events import SensorEvent, TagGone, TagSeen
from sensors.hardware import ReadersConfig
from sensors.scanner import Scanner

DEFAULTS = Scanning()
PI_3_PER_CALL_S = PER_CALL_US["pi_3"][0] * 1e-6
SPI_HZ = 4_000_000
SLOTS, CARDS = 48, 36  # the 48-slot wall at its typical load, and the coach pad
RECHECK_S = 0.5  # what a technician sets `recheck_cards_every` to for a 48-slot wall on a Pi 3


def card(n: int) -> str:
    return f"04{n:02X}B2C3D4E5F6"


class QuietWall:
    """48 slots on three decoders and the pad, on kernel chip selects (docs/readers.md), 36 cards
    settled, and nothing moved for longer than `stay_fast_for`."""

    def __init__(self):
        config = ReadersConfig(kind="rc522", spi_speed_hz=SPI_HZ, **wall_wiring(SLOTS, pad=True))
        self.wall = EmulatedWall(config, call_overhead_s=PI_3_PER_CALL_S)
        self.tags = {f"S{n}": self.wall.chips[f"S{n}"].place(card(n))[0] for n in range(CARDS)}
        readers = self.wall.build_readers()
        self.wall.settle()
        self.scanner = Scanner(
            readers,
            present_after_s=DEFAULTS.present_after_seconds,
            gone_after_s=DEFAULTS.gone_after_seconds,
            stay_fast_for_s=DEFAULTS.stay_fast_for,
            recheck_cards_every_s=RECHECK_S,
            monotonic=self.wall.clock.now,
            expected={f"S{n}": {card(n)} for n in range(CARDS)},
        )
        self.wall.clock.advance(DEFAULTS.stay_fast_for)  # the start's fast sweeps are over

    def run(self, seconds: float, *, quiet_sweeps: bool = True) -> list[tuple[float, SensorEvent]]:
        """Pause and sweep as the service does for `seconds`, ending on a sweep: the idle pause and a
        quiet sweep while the scanner is not busy (`quiet_sweeps=False`: every reader polled anyway),
        fast otherwise. The events, timed by the end of their sweep."""
        events: list[tuple[float, SensorEvent]] = []
        end = self.wall.clock.now() + seconds
        while self.wall.clock.now() < end:
            events += self.pause_and_sweep(quiet_sweeps=quiet_sweeps)
        return events

    def pause_and_sweep(self, *, quiet_sweeps: bool = True) -> list[tuple[float, SensorEvent]]:
        clock = self.wall.clock
        clock.advance(DEFAULTS.poll_interval if self.scanner.busy() else DEFAULTS.idle_poll_interval)
        swept = self.scanner.sweep(quiet=quiet_sweeps and not self.scanner.busy())
        return [(clock.now(), event) for event in swept]

    def share_of_a_pi_3_core(self, seconds: float, **how) -> float:
        """The SPI time of `seconds` of sweeps (all of it CPU) over those seconds."""
        calls, sent, started = self.wall.transfers, self.wall.bytes, self.wall.clock.now()
        assert self.run(seconds, **how) == []
        calls, sent = self.wall.transfers - calls, self.wall.bytes - sent
        return (calls * PI_3_PER_CALL_S + sent * 8 / SPI_HZ) / (self.wall.clock.now() - started)


def test_a_quiet_48_slot_wall_costs_at_most_15_percent_of_a_pi_3_core_where_rechecking_every_card_costs_more():
    quiet, rechecked = QuietWall(), QuietWall()
    quiet.run(1.0), rechecked.run(1.0, quiet_sweeps=False)  # past the first UID reads
    eight_seconds = 4 * 2.0  # four full UID reads of every card (sensors.rc522.FULL_READ_EVERY_S)
    assert rechecked.share_of_a_pi_3_core(eight_seconds, quiet_sweeps=False) > 0.15
    assert quiet.share_of_a_pi_3_core(eight_seconds) <= 0.15
    assert quiet.wall.would_fail() == []


def test_a_card_put_on_an_empty_slot_of_a_quiet_wall_is_reported_within_half_a_second():
    wall = QuietWall()
    wall.run(1.0)
    put_on_at = wall.wall.clock.now()  # right after a sweep: the slot's reader has just looked
    wall.wall.chips["S40"].place(card(40))
    [(seen_at, seen)] = [(at, event) for at, event in wall.run(1.0) if isinstance(event, TagSeen)]
    assert seen == TagSeen("S40", card(40))
    assert seen_at - put_on_at <= 0.5


@pytest.mark.parametrize("quiet_sweeps_before", [1, 2])  # one of them re-checked the card, the other left it out
def test_a_card_taken_off_a_quiet_wall_is_reported_gone_within_one_re_check_and_gone_after_seconds(
    quiet_sweeps_before,
):
    wall = QuietWall()
    wall.run(1.0)
    for _ in range(quiet_sweeps_before):
        wall.pause_and_sweep()
    taken_off_at = wall.wall.clock.now()
    wall.wall.chips["S0"].remove(wall.tags["S0"])
    events = wall.run(2.0)
    assert [event for _, event in events] == [TagGone("S0", card(0))]
    gone_after = events[0][0] - taken_off_at
    # the debounce still counts polls that missed it: gone_after_seconds of them, after one re-check
    assert DEFAULTS.gone_after_seconds <= gone_after <= RECHECK_S + DEFAULTS.gone_after_seconds + 0.3


@pytest.mark.parametrize("quiet_sweeps_before", [1, 2])
def test_a_card_swapped_for_another_on_a_quiet_wall_is_noticed_at_its_next_re_check(quiet_sweeps_before):
    wall = QuietWall()
    wall.run(1.0)
    for _ in range(quiet_sweeps_before):
        wall.pause_and_sweep()
    swapped_at = wall.wall.clock.now()
    chip = wall.wall.chips["S0"]
    chip.remove(wall.tags["S0"])
    chip.place(card(99))
    events = {event: at - swapped_at for at, event in wall.run(2.0)}
    assert set(events) == {TagSeen("S0", card(99)), TagGone("S0", card(0))}
    assert events[TagSeen("S0", card(99))] <= RECHECK_S + 0.3
    assert events[TagGone("S0", card(0))] <= RECHECK_S + DEFAULTS.gone_after_seconds + 0.3

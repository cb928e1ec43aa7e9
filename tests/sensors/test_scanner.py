"""Debounced presence: flicker never becomes a move, a failed reader never empties a slot."""

import random

import pytest

from board.core.errors import ReaderFault
from sensors.events import ReaderOffline, ReaderOnline, TagGone, TagSeen
from sensors.scanner import Scanner
from sensors.sim import SimulatedReader

CARD = "04AA0000000001"
OTHER_CARD = "04BB0000000002"
IDLE_S, FAST_S = 0.25, 0.02  # the default pauses between sweeps
RECHECK_S = 0.5  # `recheck_cards_every` as a technician sets it for a large wall (off by default)


class Ticker:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def sweeps(scanner, count, ticker=None, step=0.05):
    events = []
    for _ in range(count):
        events += scanner.sweep()
        if ticker:
            ticker.now += step
    return events


def test_a_tag_counts_as_present_once_seen_without_a_miss_for_present_after_seconds():
    ticker = Ticker()
    reader = SimulatedReader("A1")
    scanner = Scanner({"A1": reader}, present_after_s=0.1, gone_after_s=0.25, monotonic=ticker)
    reader.set_tags([CARD])
    assert sweeps(scanner, 2, ticker) == []  # seen at 0 and 0.05 s
    assert scanner.sweep() == [TagSeen("A1", CARD)]  # and at 0.1 s


def test_a_tag_counts_as_gone_once_missed_without_a_hit_for_gone_after_seconds():
    ticker = Ticker()
    reader = SimulatedReader("A1")
    scanner = Scanner({"A1": reader}, present_after_s=0, gone_after_s=0.2, monotonic=ticker)
    reader.set_tags([CARD])
    assert sweeps(scanner, 1, ticker) == [TagSeen("A1", CARD)]
    reader.set_tags([])
    assert sweeps(scanner, 4, ticker) == []  # missed at 0.05 ... 0.2 s: 0.15 s
    assert scanner.sweep() == [TagGone("A1", CARD)]  # missed since 0.2 s


def test_the_debounce_takes_the_same_time_whatever_the_pause_between_sweeps():
    def gone_after(pause: float) -> float:
        ticker = Ticker()
        reader = SimulatedReader("A1")
        scanner = Scanner({"A1": reader}, present_after_s=0, gone_after_s=0.6, monotonic=ticker)
        reader.set_tags([CARD])
        scanner.sweep()
        reader.set_tags([])
        lifted_at = ticker.now = 1.0
        while not scanner.sweep():
            ticker.now += pause
        return ticker.now - lifted_at

    assert gone_after(0.01) == pytest.approx(0.6, abs=0.011)
    assert gone_after(0.05) == pytest.approx(0.6, abs=0.051)
    assert gone_after(0.2) == pytest.approx(0.6, abs=0.21)


def test_a_tag_missing_30_percent_of_polls_at_random_produces_no_event():
    ticker = Ticker()
    reader = SimulatedReader("A1", miss_rate=0.3, rng=random.Random(1234))
    scanner = Scanner({"A1": reader}, monotonic=ticker)  # the defaults a 24-slot wall runs with
    reader.set_tags([CARD])
    first = sweeps(scanner, 20, ticker)  # a sweep every 50 ms, as a 24-slot wall of RC522s
    assert first == [TagSeen("A1", CARD)]
    assert sweeps(scanner, 20_000, ticker) == []


def test_the_scanner_is_busy_while_a_tag_debounces_and_for_a_while_after_a_change():
    ticker = Ticker()
    reader = SimulatedReader("A1")
    scanner = Scanner({"A1": reader}, present_after_s=0.05, stay_fast_for_s=5.0, monotonic=ticker)
    ticker.now = 10.0  # the start counts as a change: nothing has happened since
    scanner.sweep()
    assert not scanner.busy()
    reader.set_tags([CARD])
    scanner.sweep()
    assert scanner.busy()  # half way through the debounce
    ticker.now += 0.1
    assert scanner.sweep() == [TagSeen("A1", CARD)]
    ticker.now += 4.9
    assert scanner.busy()  # a change 4.9 s ago
    ticker.now += 0.1
    scanner.sweep()
    assert not scanner.busy()


def test_a_reader_that_faults_is_offline_and_does_not_remove_its_cards():
    ticker = Ticker()
    reader = SimulatedReader("A1")
    scanner = Scanner({"A1": reader}, present_after_s=0, gone_after_s=0.1, monotonic=ticker)
    reader.set_tags([CARD])
    scanner.sweep()
    reader.set_fault("no answer from chip")
    events = sweeps(scanner, 100, ticker)
    assert events == [ReaderOffline("A1", "A1: no answer from chip")]
    assert scanner.present("A1") == {CARD}


def test_a_failed_reader_is_retried_with_growing_pauses_and_comes_back_online():
    ticker = Ticker()
    polls = []

    class CountingReader(SimulatedReader):
        def poll(self):
            polls.append(ticker.now)
            return super().poll()

    reader = CountingReader("A1")
    scanner = Scanner({"A1": reader}, retry_min=1.0, retry_max=4.0, monotonic=ticker)
    reader.set_fault("garbage")
    sweeps(scanner, 80, ticker, step=0.25)  # 20 s
    gaps = [round(b - a, 2) for a, b in zip(polls, polls[1:])]
    assert gaps[:3] == [1.0, 2.0, 4.0] and set(gaps[3:]) == {4.0}
    reader.set_fault(None)
    events = sweeps(scanner, 100, ticker)
    assert events == [ReaderOnline("A1")]


def test_a_failing_reader_does_not_hold_up_the_others():
    readers = {f"S{i}": SimulatedReader(f"S{i}") for i in range(24)}
    readers["S5"].set_fault("unplugged")
    scanner = Scanner(readers, present_after_s=0)
    for name, reader in readers.items():
        if name != "S5":
            reader.set_tags([f"04AA00000000{int(name[1:]):02X}"])
    events = scanner.sweep()
    assert len([e for e in events if isinstance(e, TagSeen)]) == 23
    assert [e for e in events if isinstance(e, ReaderOffline)] == [ReaderOffline("S5", "S5: unplugged")]


def test_a_card_the_store_expected_but_the_reader_no_longer_sees_is_reported_gone():
    ticker = Ticker()
    reader = SimulatedReader("A1")
    scanner = Scanner({"A1": reader}, gone_after_s=0.1, expected={"A1": {CARD}}, monotonic=ticker)
    assert sweeps(scanner, 3, ticker) == [TagGone("A1", CARD)]


def test_a_reader_driver_bug_is_treated_as_a_fault_not_a_crash():
    class BrokenReader(SimulatedReader):
        def poll(self):
            raise ZeroDivisionError("oops")

    scanner = Scanner({"A1": BrokenReader("A1")})
    [event] = scanner.sweep()
    assert isinstance(event, ReaderOffline) and "ZeroDivisionError" in event.error


def test_reader_fault_is_also_an_ioerror():
    assert issubclass(ReaderFault, IOError)


class PollTimes(SimulatedReader):
    """A simulated reader that remembers when it was polled."""

    def __init__(self, reader_id: str, ticker: Ticker):
        super().__init__(reader_id)
        self.ticker = ticker
        self.polled_at: list[float] = []

    def poll(self):
        self.polled_at.append(self.ticker.now)
        return super().poll()


def quiet_wall(**settings) -> tuple[Ticker, dict[str, PollTimes], Scanner]:
    """A1 holding a settled card, A2 empty, and nothing moved for longer than stay_fast_for;
    the scanner's defaults but for `settings`."""
    ticker = Ticker()
    readers = {name: PollTimes(name, ticker) for name in ("A1", "A2")}
    readers["A1"].set_tags([CARD])
    scanner = Scanner(readers, expected={"A1": {CARD}}, monotonic=ticker, **settings)
    ticker.now = 10.0
    return ticker, readers, scanner


def as_the_service_sweeps(scanner: Scanner, ticker: Ticker, seconds: float, *, pad_window_open: bool = False):
    """Quiet sweeps at the idle pause while nothing moves, fast ones otherwise; each event with its time."""
    events = []
    end = ticker.now + seconds
    while ticker.now < end:
        moving = pad_window_open or scanner.busy()
        events += [(ticker.now, event) for event in scanner.sweep(quiet=not moving)]
        ticker.now += FAST_S if pad_window_open or scanner.busy() else IDLE_S
    return events


def test_by_default_every_quiet_sweep_re_checks_every_card():
    ticker, readers, scanner = quiet_wall()
    assert as_the_service_sweeps(scanner, ticker, 4.0) == []
    assert len(readers["A2"].polled_at) == 16
    assert readers["A1"].polled_at == readers["A2"].polled_at  # the card as often as the empty slot


def test_with_recheck_cards_every_half_a_second_a_settled_card_is_rechecked_every_other_quiet_sweep():
    ticker, readers, scanner = quiet_wall(recheck_cards_every_s=RECHECK_S)
    assert as_the_service_sweeps(scanner, ticker, 4.0) == []
    assert len(readers["A2"].polled_at) == 16  # an empty slot: every sweep
    card_polls = readers["A1"].polled_at
    assert len(card_polls) == 8
    assert {round(b - a, 3) for a, b in zip(card_polls, card_polls[1:])} == {RECHECK_S}


def test_while_anything_moves_a_settled_card_is_rechecked_every_sweep():
    ticker, readers, scanner = quiet_wall(recheck_cards_every_s=RECHECK_S)
    as_the_service_sweeps(scanner, ticker, 1.0, pad_window_open=True)
    assert readers["A1"].polled_at == readers["A2"].polled_at  # every sweep, 20 ms apart
    assert len(readers["A1"].polled_at) >= 50
    readers["A2"].set_tags([OTHER_CARD])  # a card put on: the scanner is busy for stay_fast_for
    events = []
    for _ in range(10):  # even if told the sweeps are quiet
        events += scanner.sweep(quiet=True)
        ticker.now += FAST_S
    assert events == [TagSeen("A2", OTHER_CARD)]
    assert readers["A1"].polled_at[-9:] == readers["A2"].polled_at[-9:]  # from the sweep after the first sighting


def test_a_sweep_that_leaves_a_card_out_is_no_miss_gone_after_seconds_count_from_the_first_poll_that_missed_it():
    ticker, readers, scanner = quiet_wall(recheck_cards_every_s=RECHECK_S)
    as_the_service_sweeps(scanner, ticker, 1.0)
    rechecked_at = readers["A1"].polled_at[-1]
    readers["A1"].set_tags([])  # taken off right after its re-check
    [(gone_at, gone)] = as_the_service_sweeps(scanner, ticker, 2.0)
    first_miss = rechecked_at + RECHECK_S  # the next re-check: the sweeps between left it out
    assert gone == TagGone("A1", CARD)
    assert gone_at == pytest.approx(first_miss + 0.6, abs=FAST_S)


def test_a_card_swapped_on_a_quiet_wall_is_seen_at_its_next_re_check_and_the_old_one_gone_after_seconds_later():
    ticker, readers, scanner = quiet_wall(recheck_cards_every_s=RECHECK_S)
    as_the_service_sweeps(scanner, ticker, 1.0)
    next_recheck = readers["A1"].polled_at[-1] + RECHECK_S
    readers["A1"].set_tags([OTHER_CARD])
    events = dict((event, at) for at, event in as_the_service_sweeps(scanner, ticker, 2.0))
    assert events.keys() == {TagSeen("A1", OTHER_CARD), TagGone("A1", CARD)}
    assert events[TagSeen("A1", OTHER_CARD)] == pytest.approx(next_recheck + 0.02, abs=FAST_S)  # present_after
    assert events[TagGone("A1", CARD)] == pytest.approx(next_recheck + 0.6, abs=FAST_S)  # gone_after

"""Debounced presence: flicker never becomes a move, a failed reader never empties a slot."""

import random

from board.core.errors import ReaderFault
from sensors.events import ReaderOffline, ReaderOnline, TagGone, TagSeen
from sensors.scanner import Scanner
from sensors.sim import SimulatedReader

CARD = "04AA0000000001"


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


def test_a_tag_counts_as_present_only_after_consecutive_hits():
    reader = SimulatedReader("A1")
    scanner = Scanner({"A1": reader}, present_after=3, gone_after=5)
    reader.set_tags([CARD])
    assert sweeps(scanner, 2) == []
    assert scanner.sweep() == [TagSeen("A1", CARD)]


def test_a_tag_counts_as_gone_only_after_consecutive_misses():
    reader = SimulatedReader("A1")
    scanner = Scanner({"A1": reader}, present_after=1, gone_after=5)
    reader.set_tags([CARD])
    scanner.sweep()
    reader.set_tags([])
    assert sweeps(scanner, 4) == []
    assert scanner.sweep() == [TagGone("A1", CARD)]


def test_a_tag_missing_30_percent_of_polls_at_random_produces_no_event():
    reader = SimulatedReader("A1", miss_rate=0.3, rng=random.Random(1234))
    scanner = Scanner({"A1": reader})  # the defaults a 24-slot wall runs with
    reader.set_tags([CARD])
    first = sweeps(scanner, 20)
    assert first == [TagSeen("A1", CARD)]
    assert sweeps(scanner, 20_000) == []


def test_a_reader_that_faults_is_offline_and_does_not_remove_its_cards():
    ticker = Ticker()
    reader = SimulatedReader("A1")
    scanner = Scanner({"A1": reader}, present_after=1, gone_after=2, monotonic=ticker)
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
    scanner = Scanner(readers, present_after=1)
    for name, reader in readers.items():
        if name != "S5":
            reader.set_tags([f"04AA00000000{int(name[1:]):02X}"])
    events = scanner.sweep()
    assert len([e for e in events if isinstance(e, TagSeen)]) == 23
    assert [e for e in events if isinstance(e, ReaderOffline)] == [ReaderOffline("S5", "S5: unplugged")]


def test_a_card_the_store_expected_but_the_reader_no_longer_sees_is_reported_gone():
    reader = SimulatedReader("A1")
    scanner = Scanner({"A1": reader}, gone_after=3, expected={"A1": {CARD}})
    assert sweeps(scanner, 3) == [TagGone("A1", CARD)]


def test_a_reader_driver_bug_is_treated_as_a_fault_not_a_crash():
    class BrokenReader(SimulatedReader):
        def poll(self):
            raise ZeroDivisionError("oops")

    scanner = Scanner({"A1": BrokenReader("A1")})
    [event] = scanner.sweep()
    assert isinstance(event, ReaderOffline) and "ZeroDivisionError" in event.error


def test_reader_fault_is_also_an_ioerror():
    assert issubclass(ReaderFault, IOError)

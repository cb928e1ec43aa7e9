"""Periods roll over by themselves; the thermometer starts empty, history stays."""

from datetime import UTC, datetime

from board.core.events import EventType
from board.wall.rules import period_bounds
from tests.harness import AMSTERDAM, MO_BADGE, SANNE, Wall


def test_a_week_period_starts_on_monday_at_midnight_local_time(wall):
    period = wall.service.snapshot().period
    assert period.starts_at == datetime(2026, 11, 23, tzinfo=AMSTERDAM)
    assert period.ends_at == datetime(2026, 11, 30, tzinfo=AMSTERDAM)


def test_a_week_spanning_the_dst_change_still_starts_at_local_midnight(wall):
    starts, ends = period_bounds(wall.config, datetime(2026, 3, 26, 12, tzinfo=AMSTERDAM))
    assert (starts.hour, ends.hour) == (0, 0)
    real_length = ends.astimezone(UTC) - starts.astimezone(UTC)
    assert real_length.total_seconds() == 7 * 24 * 3600 - 3600  # one hour shorter


def test_a_new_period_starts_empty_and_the_old_one_stays_in_history(tmp_path):
    wall = Wall(tmp_path, start=datetime(2026, 11, 29, 23, 59, tzinfo=AMSTERDAM))
    wall.add_people()
    wall.show("A1", SANNE)
    wall.tap("A1", MO_BADGE)
    old = wall.service.snapshot().period
    assert old.count == 1
    events = wall.wait(120)
    # The old period closes with its totals and awards, then the new one starts.
    assert [e.type for e in events][0] is EventType.PERIOD_CLOSED
    assert [e.type for e in events][-1] is EventType.PERIOD_STARTED
    assert events[0].details["count"] == 1 and events[0].details["period_id"] == old.id
    new = wall.service.snapshot().period
    assert new.id != old.id and new.count == 0
    assert new.starts_at == datetime(2026, 11, 30, tzinfo=AMSTERDAM)
    assert wall.store.thermometer(old.id) == 1
    wall.close()


def test_todays_count_restarts_at_midnight_within_the_period(tmp_path):
    wall = Wall(tmp_path, start=datetime(2026, 11, 24, 23, 58, tzinfo=AMSTERDAM))
    wall.add_people()
    wall.show("A1", SANNE)
    wall.tap("A1", MO_BADGE)
    assert wall.service.snapshot().period.today == 1
    wall.wait(300)
    wall.tap("A1", MO_BADGE)
    period = wall.service.snapshot().period
    assert (period.count, period.today) == (2, 1)
    wall.close()


# Amsterdam 2026: clocks go forward at 02:00 on 29 March and back at 03:00 on 25 October.


def test_the_fake_clock_moves_in_real_time_across_a_dst_change():
    from datetime import timedelta

    from board.core.clock import FakeClock

    start = datetime(2026, 10, 25, 2, 59, 30, tzinfo=AMSTERDAM)
    clock = FakeClock(start, AMSTERDAM)
    clock.advance(60)
    assert clock.now().astimezone(UTC) - start.astimezone(UTC) == timedelta(seconds=60)
    assert clock.now().utcoffset() == timedelta(hours=1)  # 02:00:30 winter time


def test_a_lifted_card_keeps_its_move_window_when_the_clocks_go_forward(tmp_path):
    wall = Wall(tmp_path, start=datetime(2026, 3, 29, 1, 59, 50, tzinfo=AMSTERDAM))
    wall.add_people()
    wall.show("A1", SANNE)
    wall.show("A1")
    assert wall.wait(10) == []  # now past 03:00 summer time, but only ten seconds later
    assert [e.type for e in wall.show("B2", SANNE)] == [EventType.CARD_MOVED]
    wall.close()


def test_the_duplicate_window_is_real_time_when_the_clocks_go_back(tmp_path):
    wall = Wall(tmp_path, start=datetime(2026, 10, 25, 2, 59, 30, tzinfo=AMSTERDAM))
    wall.add_people()
    wall.show("A1", SANNE)
    wall.tap("A1", MO_BADGE)
    wall.wait(70)  # 02:00-something winter time: earlier on the wall clock, 70 s later in fact
    assert EventType.ATTEMPT_CONFIRMED in [e.type for e in wall.tap("A1", MO_BADGE)]
    assert wall.service.snapshot().period.count == 2
    wall.close()


def test_a_coach_pad_window_lasts_its_seconds_when_the_clocks_go_back(tmp_path):
    wall = Wall(tmp_path, start=datetime(2026, 10, 25, 2, 59, 50, tzinfo=AMSTERDAM))
    wall.add_people()
    wall.tap("pad", MO_BADGE)
    assert [e.type for e in wall.wait(21)] == [EventType.PAD_CLOSED]
    wall.close()


def test_a_card_tapped_in_a_coach_pad_window_opened_just_before_the_clocks_go_back_counts(tmp_path):
    wall = Wall(tmp_path, start=datetime(2026, 10, 25, 2, 59, 50, tzinfo=AMSTERDAM))
    wall.add_people()
    wall.tap("pad", MO_BADGE)
    wall.wait(15)  # 02:00:05 winter time: earlier on the wall clock than the window's start, 15 s later in fact
    assert EventType.ATTEMPT_CONFIRMED in [e.type for e in wall.tap("pad", SANNE)]
    wall.close()

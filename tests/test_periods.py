"""Periods roll over by themselves; the thermometer starts empty, history stays."""

from datetime import datetime, timezone

from board.events import EventType
from board.rules import period_bounds
from tests.harness import AMSTERDAM, MO_BADGE, SANNE, Wall


def test_a_week_period_starts_on_monday_at_midnight_local_time(wall):
    period = wall.service.snapshot().period
    assert period.starts_at == datetime(2026, 11, 23, tzinfo=AMSTERDAM)
    assert period.ends_at == datetime(2026, 11, 30, tzinfo=AMSTERDAM)


def test_a_week_spanning_the_dst_change_still_starts_at_local_midnight(wall):
    starts, ends = period_bounds(wall.config, datetime(2026, 3, 26, 12, tzinfo=AMSTERDAM))
    assert (starts.hour, ends.hour) == (0, 0)
    real_length = ends.astimezone(timezone.utc) - starts.astimezone(timezone.utc)
    assert real_length.total_seconds() == 7 * 24 * 3600 - 3600  # one hour shorter


def test_a_new_period_starts_empty_and_the_old_one_stays_in_history(tmp_path):
    wall = Wall(tmp_path, start=datetime(2026, 11, 29, 23, 59, tzinfo=AMSTERDAM))
    wall.add_people()
    wall.show("A1", SANNE)
    wall.tap("A1", MO_BADGE)
    old = wall.service.snapshot().period
    assert old.count == 1
    events = wall.wait(120)
    assert [e.type for e in events] == [EventType.PERIOD_STARTED]
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

    from board.clock import FakeClock

    start = datetime(2026, 10, 25, 2, 59, 30, tzinfo=AMSTERDAM)
    clock = FakeClock(start, AMSTERDAM)
    clock.advance(60)
    assert clock.now().astimezone(timezone.utc) - start.astimezone(timezone.utc) == timedelta(seconds=60)
    assert clock.now().utcoffset() == timedelta(hours=1)  # 02:00:30 winter time


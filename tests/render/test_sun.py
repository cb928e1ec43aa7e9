"""The wall's sun: on the screen, on a servo, or slid by hand and recorded."""

from dataclasses import replace
from datetime import time

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from board.core.events import EventType
from board.core.state import checkpoint_of, state_from_checkpoint
from render.config import DisplayConfig, NightSchedule, NightWindow
from render.samples import SAMPLE_NOW
from render.samples import wall as sample_wall
from render.sun import EmulatedMCP3008, PhysicalSun, sun_height
from tests.harness import MO_BADGE, SANNE, Wall

DAYTIME = NightSchedule()
ALWAYS_NIGHT = NightSchedule(windows=(NightWindow(start=time(0, 0), end=time(0, 0)),))


def half_tried():
    snapshot = sample_wall()
    return replace(snapshot, period=replace(snapshot.period, count=30, goal=40, people_tried=2, people=8))


def servo_sun(schedule=DAYTIME, **settings):
    factory = MockFactory(pin_class=MockPWMPin)
    config = DisplayConfig(sun_servo_pin=17, **settings)
    return PhysicalSun(config, schedule, pin_factory=factory, clock=lambda: SAMPLE_NOW)


def slider_sun(level: float):
    factory = MockFactory()
    chip = EmulatedMCP3008(factory)
    chip.levels[2] = level
    sun = PhysicalSun(DisplayConfig(sun_slider_channel=2), DAYTIME, pin_factory=factory, clock=lambda: SAMPLE_NOW)
    moves = []
    sun.report_to(moves.append)
    return sun, chip, moves


def test_the_sun_rises_with_the_share_of_people_who_had_a_go_or_with_the_thermometer():
    assert sun_height(half_tried(), "people") == 0.25
    assert sun_height(half_tried(), "thermometer") == 0.75


def test_a_servo_sun_stands_as_high_as_the_team_has_come():
    with servo_sun(sun_servo_angles=(-90, 90)) as sun:
        sun.on_snapshot(half_tried())
        sun.step()
        assert sun.servo.angle == pytest.approx(-45, abs=1)


def test_a_servo_sun_can_be_mounted_the_other_way_round():
    with servo_sun(sun_servo_angles=(60, -60), sun_follows="thermometer") as sun:
        sun.on_snapshot(half_tried())
        sun.step()
        assert sun.servo.angle == pytest.approx(-30, abs=1)


def test_at_night_the_servo_parks_the_sun_at_the_bottom_and_lets_go():
    with servo_sun(ALWAYS_NIGHT, sun_servo_angles=(-90, 90)) as sun:
        sun.on_snapshot(half_tried())
        sun.step()
        assert sun.parked and sun.servo.value is None  # detached: no hum all night


def test_a_slid_sun_is_reported_once_it_stays_put():
    sun, chip, moves = slider_sun(0.7)
    with sun:
        sun.on_snapshot(sample_wall())
        sun.step()
        assert moves == []  # seen once: could be a hand still sliding
        sun.step()
        assert moves == [pytest.approx(0.7, abs=0.01)]
        chip.levels[2] = 0.72  # a hand brushing it, or noise
        sun.step(), sun.step()
        assert len(moves) == 1


def test_after_a_restart_a_slider_where_it_was_left_records_nothing_new():
    sun, _chip, moves = slider_sun(0.4)
    with sun:
        sun.on_snapshot(replace(sample_wall(), sun_height=0.4))
        sun.step(), sun.step()
        assert moves == []


def test_a_sun_is_moved_by_a_servo_or_by_hand_not_both():
    with pytest.raises(ValueError, match="not both"):
        DisplayConfig(sun_servo_pin=17, sun_slider_channel=0)


def test_a_slid_sun_is_recorded_mirrored_in_the_snapshot_and_kept_over_a_restart(tmp_path):
    wall = Wall(tmp_path)
    wall.add_people()
    wall.show("B2", SANNE)
    wall.tap("B2", MO_BADGE)
    [event] = [wall.service.record_sun_moved(0.6)]
    assert event.type is EventType.SUN_MOVED and event.details == {"height": 0.6}
    snapshot = wall.service.snapshot()
    assert snapshot.sun_height == 0.6 and sun_height(snapshot, "people") == 0.6
    assert (snapshot.period.people_tried, snapshot.period.people) == (1, 3)
    wall.close()
    again = Wall(tmp_path)
    try:
        restarted = again.service.snapshot()
        assert restarted.sun_height == 0.6
        assert restarted.period.people_tried == 1
    finally:
        again.close()


def test_a_checkpoint_keeps_who_tried_and_where_the_sun_was_slid(tmp_path):
    wall = Wall(tmp_path)
    try:
        wall.add_people()
        wall.show("B2", SANNE)
        wall.tap("B2", MO_BADGE)
        wall.service.record_sun_moved(0.3)
        state = wall.service.state
        restored = state_from_checkpoint(checkpoint_of(state), wall.config.tz)
        assert restored.period.tries == state.period.tries != {}
        assert restored.sun_height == 0.3
    finally:
        wall.close()


def test_a_running_wall_drives_its_configured_servo_sun(tmp_path):
    from datetime import UTC, datetime

    from board.app.config import load_config
    from board.app.runtime import WallRuntime
    from board.core.clock import FakeClock
    from tests.harness import SMALL_WALL

    text = SMALL_WALL + '\n[display]\nnight = []\nsun = true\nsun_follows = "thermometer"\nsun_servo_pin = 13\n'
    (tmp_path / "wallboard.toml").write_text(text, encoding="utf-8")
    config = load_config(tmp_path / "wallboard.toml")
    clock = FakeClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC), config.tz)
    with WallRuntime(config, clock, readers={}, leds=True) as runtime:
        runtime.start()
        runtime.sun.on_snapshot(replace(sample_wall(), period=replace(sample_wall().period, count=50, goal=100)))
        runtime.sun.step()
        assert runtime.sun.servo.angle == pytest.approx(0, abs=1)  # half way up a -90..90 servo
    assert runtime.sun.servo is None  # stopped with the wall: its pin given back

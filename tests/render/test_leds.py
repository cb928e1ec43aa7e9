"""The LED thermometer on gpiozero's mock PWM pins."""

from datetime import UTC, datetime, time

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from board.core.events import EventType, WallEvent
from render.config import LedConfig, NightSchedule, NightWindow
from render.leds import LedThermometer
from render.samples import SAMPLE_NOW, wall

PINS = (4, 17, 27, 22, 10, 9, 11, 5, 6, 13)  # ten LEDs, bottom first (not 2 and 3: they have pull-ups)
NIGHT = SAMPLE_NOW.replace(hour=23)
SCHEDULE = NightSchedule(windows=(NightWindow(start=time(20), end=time(7)),))


@pytest.fixture
def factory():
    factory = MockFactory(pin_class=MockPWMPin)
    yield factory
    factory.reset()


class Recorder:
    """Stands in for time.sleep: instead of waiting, notes what the LEDs show."""

    def __init__(self, factory):
        self.factory = factory
        self.frames: list[tuple[float, ...]] = []

    def __call__(self, seconds: float) -> None:
        self.frames.append(states(self.factory))


def states(factory, pins=PINS) -> tuple[float, ...]:
    return tuple(round(factory.pin(pin).state, 2) for pin in pins)


def event(kind: EventType) -> WallEvent:
    return WallEvent(
        seq=1, at=SAMPLE_NOW, type=kind, person_id=1, coach_id=1, details={"person_name": "Sanne", "coach_name": "Mo"}
    )


def column(factory, recorder, now: datetime = SAMPLE_NOW, **settings) -> LedThermometer:
    config = LedConfig(pins=PINS, **settings)
    return LedThermometer(config, SCHEDULE, pin_factory=factory, clock=lambda: now, sleep=recorder)


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
        (37, (1, 1, 1, 0.7, 0, 0, 0, 0, 0, 0)),
        (100, (1, 1, 1, 1, 1, 1, 1, 1, 1, 1)),
    ],
)
def test_the_column_shows_the_share_of_the_goal_with_a_partly_lit_top_led(factory, count, expected):
    with column(factory, Recorder(factory)) as leds:
        leds.on_snapshot(wall(count=count, goal=100))
        leds.wait_idle()
        assert states(factory) == expected


def test_plain_leds_light_only_whole_steps(factory):
    with column(factory, Recorder(factory), pwm=False) as leds:
        leds.on_snapshot(wall(count=37, goal=100))
        leds.wait_idle()
        assert states(factory) == (1, 1, 1, 0, 0, 0, 0, 0, 0, 0)


def test_a_confirmed_attempt_pulses_the_top_lit_led_and_then_shows_the_level_again(factory):
    recorder = Recorder(factory)
    with column(factory, recorder) as leds:
        leds.on_snapshot(wall(count=37, goal=100))
        leds.on_event(event(EventType.ATTEMPT_CONFIRMED))
        leds.wait_idle()
        top_led = [frame[3] for frame in recorder.frames]
        assert top_led.count(1.0) == 2 and top_led.count(0.0) >= 2  # two breaths, dark to full
        assert all(frame[:3] == (1, 1, 1) and frame[4:] == (0,) * 6 for frame in recorder.frames)
        assert states(factory) == (1, 1, 1, 0.7, 0, 0, 0, 0, 0, 0)


def test_reaching_the_goal_sends_a_light_chasing_up_the_column_then_fills_it(factory):
    recorder = Recorder(factory)
    with column(factory, recorder) as leds:
        leds.on_snapshot(wall(count=100, goal=100))
        leds.on_event(event(EventType.GOAL_REACHED))
        leds.wait_idle()
        chase, fill = recorder.frames[:30], recorder.frames[30:]
        assert [frame.index(1) for frame in chase if sum(frame) == 1] == list(range(10)) * 3
        assert [sum(frame) for frame in fill] == list(range(1, 11))
        assert states(factory) == (1,) * 10


def test_an_attempt_that_did_not_count_blinks_the_bottom_led_three_times_and_plays_nothing(factory):
    recorder = Recorder(factory)
    with column(factory, recorder, buzzer_pin=None) as leds:
        leds.on_snapshot(wall(count=37, goal=100))
        refused = WallEvent(
            seq=2,
            at=SAMPLE_NOW,
            type=EventType.ATTEMPT_REJECTED,
            person_id=1,
            coach_id=1,
            details={"person_name": "Sanne", "reason": "duplicate"},
        )
        leds.on_event(refused)
        leds.wait_idle()
        bottom = [frame[0] for frame in recorder.frames]
        assert bottom == [0, 1] * 3  # off, back on: three short blinks, nothing else moves
        assert all(frame[1:3] == (1, 1) and frame[3] == 0.7 for frame in recorder.frames)
        leds.on_event(
            WallEvent(seq=3, at=SAMPLE_NOW, type=EventType.ATTEMPT_REJECTED, details={"reason": "no_card"})
        )  # a badge on an empty slot: nothing to tell
        leds.wait_idle()
        assert len(recorder.frames) == 6
        assert states(factory) == (1, 1, 1, 0.7, 0, 0, 0, 0, 0, 0)


def test_nothing_is_lit_at_night_and_nothing_celebrates(factory):
    recorder = Recorder(factory)
    with column(factory, recorder, now=NIGHT) as leds:
        leds.on_snapshot(wall(count=100, goal=100))
        leds.on_event(event(EventType.GOAL_REACHED))
        leds.on_event(event(EventType.ATTEMPT_CONFIRMED))
        leds.wait_idle()
        assert states(factory) == (0,) * 10
        assert recorder.frames == []


def test_a_night_brightness_dims_the_column_instead(factory):
    with column(factory, Recorder(factory), now=NIGHT, night_brightness=0.2) as leds:
        leds.on_snapshot(wall(count=37, goal=100))
        leds.wait_idle()
        assert states(factory) == (0.2, 0.2, 0.2, 0.14, 0, 0, 0, 0, 0, 0)


def test_the_buzzer_is_off_by_default_and_plays_a_tune_when_configured(factory):
    with column(factory, Recorder(factory)) as quiet:
        assert quiet.buzzer is None
    factory.reset()
    with column(factory, lambda seconds: None, buzzer_pin=18) as leds:
        leds.on_event(event(EventType.ATTEMPT_CONFIRMED))
        leds.wait_idle()
        with leds._tune_lock:  # the tune has finished
            played = [state.state for state in factory.pin(18).states]
        assert any(0 < duty < 1 for duty in played)  # it buzzed
        assert factory.pin(18).state == 0  # and fell silent


def test_closing_turns_the_column_off_and_is_safe_twice(factory):
    leds = column(factory, Recorder(factory))
    leds.on_snapshot(wall(count=100, goal=100))
    leds.wait_idle()
    leds.close()
    leds.close()
    assert states(factory) == (0,) * 10


def test_a_buzzer_that_cannot_be_driven_gives_the_led_pins_back(factory):
    from gpiozero import LED

    from render.leds import LedError

    factory.pin(18)  # the buzzer's pin is taken by another device
    taken = LED(18, pin_factory=factory)
    with pytest.raises(LedError, match="buzzer on pin 18"):
        column(factory, Recorder(factory), buzzer_pin=18)
    LED(PINS[0], pin_factory=factory).close()  # free again: nothing holds the column's pins
    taken.close()


def test_the_column_rests_by_the_walls_own_timezone_not_the_pis(tmp_path):
    from datetime import datetime

    from board.app.config import load_config
    from board.app.runtime import WallRuntime
    from board.core.clock import FakeClock
    from render.samples import wall as sample_wall
    from tests.harness import SMALL_WALL

    text = SMALL_WALL.replace('timezone = "Europe/Amsterdam"', 'timezone = "Pacific/Auckland"') + (
        '[[display.night]]\ndays = ["mon", "tue", "wed", "thu", "fri"]\nstart = "20:00"\nend = "07:00"\n'
        'mode = "black"\n\n[leds]\nenabled = true\npins = [5, 6, 13, 19]\n'
    )
    (tmp_path / "wallboard.toml").write_text(text, encoding="utf-8")
    config = load_config(tmp_path / "wallboard.toml")
    # 08:00 UTC on a Monday is daytime for a Pi left on UTC, and 21:00 on the wall in Auckland.
    clock = FakeClock(datetime(2026, 11, 23, 8, 0, tzinfo=UTC), config.tz)
    with WallRuntime(config, clock, readers={}, leds=True) as runtime:
        runtime.start()
        leds = runtime.leds
        leds.on_snapshot(sample_wall(count=100, goal=100))
        leds.wait_idle()
        assert leds.bar.value == 0

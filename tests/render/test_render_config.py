"""Display and LED settings: night windows, validation, texts."""

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from board.core.i18n import Texts
from render.config import DisplayConfig, LedConfig, NightSchedule, NightWindow
from render.samples import TZ

FRIDAY_EVENING = datetime(2025, 5, 16, 21, 0, tzinfo=TZ)


def schedule(*windows: dict) -> NightSchedule:
    return NightSchedule(windows=tuple(NightWindow(**window) for window in windows))


def test_a_window_that_ends_before_it_starts_runs_past_midnight_on_the_day_it_started():
    weekdays = schedule({"days": ["mon", "tue", "wed", "thu", "fri"], "start": "19:00", "end": "07:00"})
    assert weekdays.mode_at(FRIDAY_EVENING) == "black"
    assert weekdays.mode_at(FRIDAY_EVENING + timedelta(hours=9)) == "black"  # Saturday 06:00, from Friday
    assert weekdays.mode_at(FRIDAY_EVENING + timedelta(hours=10)) is None  # Saturday 07:00
    assert weekdays.mode_at(FRIDAY_EVENING + timedelta(days=1)) is None  # Saturday evening is not a weekday


def test_a_window_with_equal_start_and_end_covers_the_whole_day_and_black_beats_dim():
    weekend = schedule(
        {"days": ["sat", "sun"], "start": "00:00", "end": "00:00", "mode": "dim"},
        {"days": ["sat"], "start": "22:00", "end": "23:00", "mode": "black"},
    )
    saturday = FRIDAY_EVENING + timedelta(days=1)
    assert weekend.mode_at(saturday.replace(hour=12)) == "dim"
    assert weekend.mode_at(saturday.replace(hour=22, minute=30)) == "black"
    assert weekend.mode_at(FRIDAY_EVENING) is None


def test_the_default_display_is_a_full_hd_wall_that_sleeps_at_night():
    config = DisplayConfig()
    assert config.size == (1920, 1080) and config.fullscreen
    assert config.schedule.mode_at(FRIDAY_EVENING.replace(hour=23)) == "black"
    assert config.schedule.mode_at(FRIDAY_EVENING.replace(hour=12)) is None


@pytest.mark.parametrize(
    "settings",
    [
        {"size": (200, 100)},
        {"night": [{"start": "25:00", "end": "07:00"}]},
        {"night": [{"days": ["someday"], "start": "20:00", "end": "07:00"}]},
        {"dim_brightness": 0},
        {"screen_saver": True},
    ],
)
def test_display_settings_that_make_no_sense_are_refused(settings):
    with pytest.raises(ValidationError):
        DisplayConfig(**settings)


@pytest.mark.parametrize(
    "settings",
    [
        {"pins": (5, 6, 5)},
        {"pins": (5, 6), "buzzer_pin": 6},
        {"pins": ()},
    ],
)
def test_led_settings_that_make_no_sense_are_refused(settings):
    with pytest.raises(ValidationError):
        LedConfig(**settings)


def test_dutch_is_the_default_and_english_is_available():
    assert Texts()("attempt_line", person="Sanne") == "Sanne probeerde het"
    assert Texts("en")("attempt_by", coach="Mo") == "confirmed by Mo"
    assert Texts("fr").language == "nl"
    assert Texts().long_date(FRIDAY_EVENING.date()) == "vrijdag 16 mei · week 20"
    assert Texts("en").long_date(FRIDAY_EVENING.date()) == "Friday 16 May · week 20"


def test_a_seven_day_period_is_called_a_week():
    monday = datetime(2025, 5, 12, tzinfo=TZ)
    assert Texts().period_name(monday, monday + timedelta(days=7)) == "deze week"
    assert Texts("en").period_name(monday, monday + timedelta(days=30)) == "this period"

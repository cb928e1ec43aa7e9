"""The config file: typed, every problem reported at start with its field and line."""

import pytest

from board.app.config import load_config
from board.core.errors import ConfigError
from board.core.settings import Weekday
from board.dev.demo import EXAMPLE_CONFIG
from tests.harness import SMALL_WALL


def write(tmp_path, text):
    path = tmp_path / "wallboard.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_config_is_a_3_level_wall_of_10_slots():
    config = load_config(EXAMPLE_CONFIG)
    assert [len(level.slots) for level in config.levels] == [10, 10, 10]
    assert config.language == "nl" and config.rules.move_window == 15
    assert config.reader_ids[-1] == "pad"


def test_relative_paths_are_relative_to_the_config_file(tmp_path):
    config = load_config(write(tmp_path, SMALL_WALL))
    assert config.data_dir == tmp_path / "data"
    assert config.database_url == f"sqlite:///{tmp_path / 'data' / 'wallboard.db'}"


def test_a_wrong_value_is_reported_with_its_field_and_line(tmp_path):
    text = SMALL_WALL.replace("default_goal = 5", "default_goal = -3")
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, text))
    line = text.splitlines().index("default_goal = -3") + 1
    assert f"line {line}: rules.default_goal" in str(error.value)


def test_recheck_cards_every_is_off_by_default_and_a_wrong_value_names_its_field_and_line(tmp_path):
    assert load_config(write(tmp_path, SMALL_WALL)).readers.recheck_cards_every == 0
    text = SMALL_WALL + "\n[readers]\nrecheck_cards_every = 30\n"
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, text))
    line = text.splitlines().index("recheck_cards_every = 30") + 1
    assert f"line {line}: readers.recheck_cards_every" in str(error.value)


def test_every_problem_in_the_file_is_reported_at_once(tmp_path):
    text = SMALL_WALL.replace("language", "languag").replace("default_goal = 5", "default_goal = 'lots'")
    text = text.replace('board_id = "test"', 'board_id = "test"\nlanguage = "fr"')
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, text))
    message = str(error.value)
    assert "language" in message and "rules.default_goal" in message and "2 problem(s)" in message


def test_a_slot_inside_the_second_level_is_located_on_its_own_line(tmp_path):
    text = SMALL_WALL.replace('slots = ["B1", "B2", "B3", "B4"]', 'slots = ["B1", "B 2"]')
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, text))
    line = text.splitlines().index('slots = ["B1", "B 2"]') + 1
    assert f"line {line}: levels.1.slots.1" in str(error.value)


def test_a_toml_syntax_error_names_the_line(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, SMALL_WALL + "\n[rules\n"))
    assert "line" in str(error.value) and "not valid TOML" in str(error.value)


def test_an_unknown_setting_is_refused_rather_than_ignored(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, SMALL_WALL.replace("[rules]", "[rules]\nmove_windw = 3")))
    assert "rules.move_windw" in str(error.value) and "Extra inputs" in str(error.value)


@pytest.mark.parametrize(
    "change, complaint",
    [
        (('"C4"]', '"A1"]'), "slot 'A1' appears twice"),
        (('"C4"]', '"pad"]'), "reserved for the coach pad"),
        (('timezone = "Europe/Amsterdam"', 'timezone = "Mars/Olympus"'), "unknown timezone"),
        (('data_dir = "data"', 'data_dir = "data"\n[store]\nurl = "postgresql://x"'), "only sqlite"),
    ],
)
def test_a_wall_that_cannot_work_is_refused(tmp_path, change, complaint):
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, SMALL_WALL.replace(*change)))
    assert complaint in str(error.value)


def test_a_missing_file_is_a_config_error_not_a_traceback(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "nope.toml")


def weekdays_wall(period_start, working_days, night_days):
    return SMALL_WALL + (
        f'period_start = "{period_start}"\n\n[harvest]\nworking_days = {working_days}\n\n'
        f'[[display.night]]\ndays = {night_days}\nstart = "20:00"\nend = "07:00"\n'
    )


def test_weekdays_read_the_same_in_full_and_in_three_letters(tmp_path):
    (tmp_path / "full").mkdir(), (tmp_path / "short").mkdir()
    full = load_config(write(tmp_path / "full", weekdays_wall("tuesday", '["monday", "friday"]', '["saturday"]')))
    short = load_config(write(tmp_path / "short", weekdays_wall("tue", '["mon", "fri"]', '["sat"]')))
    assert short.rules.period_start == full.rules.period_start == Weekday.TUESDAY
    assert short.harvest.working_days == full.harvest.working_days == [Weekday.MONDAY, Weekday.FRIDAY]
    assert short.display.night == full.display.night
    assert short.display.night[0].days == (Weekday.SATURDAY,)


def test_a_misspelt_weekday_is_refused_with_its_field(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_config(write(tmp_path, weekdays_wall("tues", '["monday"]', '["sat"]')))
    assert "rules.period_start" in str(error.value)

"""[readers] in wallboard.toml for real readers, and `wallboard doctor --readers`."""

from pathlib import Path

import pytest

from board.app.config import parse_config
from board.core.errors import ConfigError
from tests.app.test_cli import wallboard

WALL = """
[[levels]]
id = "A"
name = "Start"
slots = ["A1", "A2", "A3"]

[readers]
kind = "rc522"
reset_pin = 25

[readers.decoder]
address_pins = [5, 6, 13]

[readers.wiring]
A1 = { chip_select = "decoder0" }
A2 = { chip_select = "decoder1" }
{more}
"""


def config(more: str):
    return parse_config(WALL.replace("{more}", more), Path("wallboard.toml"))


def test_a_wall_of_rc522_readers_is_configured_slot_by_slot():
    readers = config('A3 = { chip_select = "decoder2", irq_pin = 14 }\npad = { chip_select = "ce1" }').readers
    assert readers.kind == "rc522" and readers.spi_speed_hz == 4_000_000
    assert readers.wiring["A3"].irq_pin == 14 and readers.wiring["pad"].chip_select == "ce1"
    assert readers.gone_after_seconds == 0.6  # the scanner settings stay in the same table


def test_an_older_config_counting_the_debounce_in_sweeps_is_read_in_seconds():
    readers = config('A3 = { chip_select = "decoder2" }\npad = { chip_select = "ce1" }').readers
    older = parse_config(
        WALL.replace(
            "reset_pin = 25", "reset_pin = 25\npresent_after = 2\ngone_after = 12\npoll_interval = 0.02"
        ).replace("{more}", 'A3 = { chip_select = "decoder2" }\npad = { chip_select = "ce1" }'),
        Path("wallboard.toml"),
    ).readers
    assert (older.present_after_seconds, older.gone_after_seconds) == (0.05, 0.6)  # sweeps of at least 50 ms
    assert older.idle_poll_interval == readers.idle_poll_interval


def test_the_debounce_in_sweeps_and_in_seconds_at_once_is_refused_with_its_line():
    text = WALL.replace("reset_pin = 25", "reset_pin = 25\ngone_after = 12\ngone_after_seconds = 0.5")
    with pytest.raises(
        ConfigError, match=r"readers: .*gone_after \(sweeps, older configs\) and gone_after_seconds both"
    ):
        parse_config(
            text.replace("{more}", 'A3 = { chip_select = "decoder2" }\npad = { chip_select = "ce1" }'),
            Path("wallboard.toml"),
        )


def test_a_slot_without_wiring_is_named_in_the_error():
    with pytest.raises(ConfigError, match="readers.wiring has no entry for A3, pad"):
        config("")


def test_wiring_for_a_reader_that_does_not_exist_is_refused():
    with pytest.raises(ConfigError, match="B9: not a slot"):
        config('A3 = { chip_select = "decoder2" }\npad = { chip_select = "ce1" }\nB9 = { chip_select = "decoder5" }')


def test_a_chip_select_typo_is_reported_with_its_line():
    with pytest.raises(ConfigError, match=r"line 17: readers.wiring.A3.chip_select: Value error, 'decodr2'"):
        config('A3 = { chip_select = "decodr2" }\npad = { chip_select = "ce1" }')


def test_doctor_on_a_simulated_wall_lists_every_reader(tmp_path):
    wallboard("init", cwd=tmp_path)
    out = wallboard("doctor", "--readers", cwd=tmp_path).stdout
    lines = out.splitlines()
    assert lines[0].startswith("lezer") and len(lines) == 1 + 31 + 1
    assert lines[-1] == "31 van 31 lezers antwoorden"


ONE_READER = """
[[levels]]
id = "A"
name = "Start"
slots = ["A1"]

[readers]
kind = "rc522"
coach_pad = false
wiring = { A1 = { chip_select = "ce0" } }
"""


def test_doctor_off_a_pi_says_what_is_missing_without_a_traceback(tmp_path):
    (tmp_path / "wallboard.toml").write_text(ONE_READER)
    result = wallboard("doctor", "--readers", cwd=tmp_path, check=False)
    assert result.returncode == 2 and "dtparam=spi=on" in result.stderr and "Traceback" not in result.stderr
    (tmp_path / "wallboard.toml").write_text(
        ONE_READER.replace("coach_pad = false", "coach_pad = false\nreset_pin = 25")
    )
    result = wallboard("doctor", "--readers", cwd=tmp_path, check=False)
    # Off a Pi the reset line is a mock pin, said so; SPI is what is missing.
    assert result.returncode == 2 and "not a Raspberry Pi" in result.stderr and "mock pins" in result.stderr
    assert "dtparam=spi=on" in result.stderr and "Traceback" not in result.stderr


def test_a_pin_used_by_the_readers_and_the_leds_names_the_line_of_each_use(tmp_path):
    with pytest.raises(ConfigError) as error:
        config(
            'A3 = { chip_select = "gpio17" }\npad = { chip_select = "decoder3" }\n\n[leds]\npins = [16, 17]\nbuzzer_pin = 5'
        )
    message = str(error.value)
    assert "2 pin(s) used twice" in message
    assert (
        "GPIO17 is wired twice: chip select of 'A3' (line 17: readers.wiring.A3), LED 2 (line 21: leds.pins)" in message
    )
    assert (
        "GPIO5 is wired twice: decoder address A0 (line 12: readers.decoder.address_pins), buzzer (line 22: leds.buzzer_pin)"
        in message
    )


def test_a_clash_with_a_default_pin_says_it_is_the_default():
    with pytest.raises(
        ConfigError,
        match=r"GPIO4 is wired twice: IRQ of 'A3' \(line 17: readers.wiring.A3\), "
        r"LED 1 \(leds.pins, the default\)",
    ):
        config('A3 = { chip_select = "decoder2", irq_pin = 4 }\npad = { chip_select = "ce1" }')


def test_a_sun_servo_on_an_led_pin_is_refused_with_both_lines(tmp_path):
    text = '[[levels]]\nid = "A"\nname = "Start"\nslots = ["A1"]\n\n[display]\nsun_servo_pin = 18\n'
    with pytest.raises(
        ConfigError,
        match=r"GPIO18 is wired twice: LED 3 \(leds.pins, the default\), "
        r"sun servo \(line 7: display.sun_servo_pin\)",
    ):
        parse_config(text, tmp_path / "wallboard.toml")


def test_the_wiring_docs_readers_md_recommends_fits_the_default_leds():
    """The example in docs/readers.md, on a wall with those slots, validates with every default pin."""
    readers_doc = (Path(__file__).parents[2] / "docs" / "readers.md").read_text()
    wiring = readers_doc.split("```toml\n", 1)[1].split("```", 1)[0]
    text = '[[levels]]\nid = "A"\nname = "Start"\nslots = ["A1", "A2"]\n\n' + wiring
    config = parse_config(text, Path("wallboard.toml"))
    assert config.leds.enabled and len(config.pin_uses()) == len({use.bcm for use in config.pin_uses()})


def test_a_sun_servo_on_an_led_pin_names_both_uses():
    with pytest.raises(
        ConfigError,
        match=r"GPIO18 is wired twice: LED 3 \(leds.pins, the default\), "
        r"sun servo \(line \d+: display.sun_servo_pin\)",
    ):
        config('A3 = { chip_select = "decoder2" }\npad = { chip_select = "ce1" }\n\n[display]\nsun_servo_pin = 18')

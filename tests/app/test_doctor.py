"""`wallboard doctor` without arguments: one line per thing a technician gets wrong, each with its fix,
in the wall's language."""

import ast
import pwd
import re
import string
from datetime import UTC, datetime
from pathlib import Path

from board.app import doctor
from board.app.config import parse_config
from board.app.doctor import (
    Finding,
    Host,
    Verdict,
    check_clock,
    check_database,
    check_disk,
    check_groups,
    check_spi,
    examine,
)
from board.core.i18n import _STRINGS
from sensors import doctor as sensors_doctor
from sensors.pins import choose_pin_factory
from store.repository import Store
from tests.app.test_cli import wallboard
from tests.sensors.test_reader_config import ONE_READER as RC522_WALL

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def host(tmp_path, synced=False, running=False, **commands) -> Host:
    dev = tmp_path / "dev"
    dev.mkdir(exist_ok=True)
    flag = tmp_path / "synchronized"
    if synced:
        flag.touch()
    answers = {"systemctl": "active" if running else None, **commands}
    return Host(dev=dev, timesync_flag=flag, now=lambda: NOW, run=lambda args: answers.get(args[0]))


def config(tmp_path, text=RC522_WALL, language="en"):
    return parse_config(f'language = "{language}"\n' + text, tmp_path / "wallboard.toml")


def only(findings):
    [finding] = list(findings)
    return finding


def test_spi_off_is_a_failure_with_raspi_config_as_the_fix(tmp_path):
    finding = only(check_spi(config(tmp_path), host(tmp_path)))
    assert finding.verdict is Verdict.FAIL and "no /dev/spidev0.*" in finding.detail
    assert "raspi-config nonint do_spi 0" in finding.fix


def test_spi_on_lists_the_devices(tmp_path):
    pi = host(tmp_path)
    (pi.dev / "spidev0.0").touch()
    (pi.dev / "spidev0.1").touch()
    finding = only(check_spi(config(tmp_path), pi))
    assert finding.verdict is Verdict.OK and finding.detail == "/dev/spidev0.0, /dev/spidev0.1"


def test_a_chip_select_config_txt_does_not_give_the_kernel_is_a_failure_naming_the_overlay_line(tmp_path):
    overlay_wall = RC522_WALL.replace(
        'wiring = { A1 = { chip_select = "ce0" } }',
        'kernel_chip_selects = { spi0 = [8, 7, 19, 26] }\nwiring = { A1 = { chip_select = "ce3" } }',
    )
    pi = host(tmp_path)
    (pi.dev / "spidev0.0").touch()
    (pi.dev / "spidev0.1").touch()  # dtparam=spi=on alone
    finding = only(check_spi(config(tmp_path, overlay_wall), pi))
    assert finding.verdict is Verdict.FAIL and finding.detail.startswith("/dev/spidev0.3 missing")
    assert "dtoverlay=wallboard-spi0-4cs" in finding.fix
    (pi.dev / "spidev0.3").touch()
    assert only(check_spi(config(tmp_path, overlay_wall), pi)).verdict is Verdict.OK


def test_root_is_told_to_run_the_doctor_as_the_service_user(tmp_path, monkeypatch):
    monkeypatch.setattr(doctor.os, "getuid", lambda: 0)
    finding = only(check_groups(config(tmp_path), host(tmp_path)))
    assert finding.verdict is Verdict.WARN and "sudo -u wallboard wallboard doctor" in finding.fix


def test_a_user_outside_the_video_group_is_told_the_usermod_line(tmp_path, monkeypatch):
    nobody = pwd.getpwnam("nobody")
    monkeypatch.setattr(doctor.os, "getuid", lambda: nobody.pw_uid)
    monkeypatch.setattr(doctor.os, "getgid", lambda: nobody.pw_gid)
    monkeypatch.setattr(doctor.os, "getgroups", lambda: [])
    finding = only(check_groups(config(tmp_path), host(tmp_path)))
    assert finding.verdict is Verdict.FAIL and "nobody is not in video" in finding.detail
    assert finding.fix.startswith("sudo usermod -aG video") and finding.fix.split()[4] == "nobody,"


def test_a_clock_behind_the_last_recorded_event_fails_and_an_unsynchronised_one_warns(tmp_path):
    later = datetime(2026, 12, 1, tzinfo=UTC)
    behind = only(check_clock(config(tmp_path), host(tmp_path), last_recorded=later))
    assert behind.verdict is Verdict.FAIL and "before 2026-12-01 00:00" in behind.detail
    unsynced = only(check_clock(config(tmp_path), host(tmp_path), last_recorded=None))
    assert unsynced.verdict is Verdict.WARN and "timedatectl" in unsynced.fix
    synced = only(check_clock(config(tmp_path), host(tmp_path, synced=True), last_recorded=None))
    assert synced.verdict is Verdict.OK
    by_timedatectl = only(check_clock(config(tmp_path), host(tmp_path, timedatectl="yes"), last_recorded=None))
    assert by_timedatectl.verdict is Verdict.OK


def test_a_damaged_database_is_a_failure_and_a_good_one_is_intact(tmp_path):
    wall = config(tmp_path, RC522_WALL.replace('kind = "rc522"', 'kind = "sim"'))
    missing = only(check_database(wall, host(tmp_path)))
    assert missing.verdict is Verdict.FAIL and "wallboard db upgrade" in missing.fix
    Store(wall).open().close()
    assert only(check_database(wall, host(tmp_path))).detail.endswith("is intact, schema current")
    database = wall.database_path
    database.write_bytes(b"this is no database" * 100)
    broken = only(check_database(wall, host(tmp_path)))
    assert broken.verdict is Verdict.FAIL and "backup" in broken.fix


def test_disk_space_is_reported_for_the_data_folder(tmp_path):
    finding = only(check_disk(config(tmp_path), host(tmp_path)))
    assert "GiB free for" in finding.detail and str(tmp_path) in finding.detail


def test_while_the_wall_runs_the_hardware_is_left_alone_and_said_so(tmp_path):
    findings = list(
        examine(
            config(tmp_path),
            host(tmp_path, running=True),
            build_readers=lambda c: (_ for _ in ()).throw(AssertionError("readers opened")),
            pin_factory=lambda: (_ for _ in ()).throw(AssertionError("pins opened")),
        )
    )
    topics = [finding.topic for finding in findings]
    assert topics == ["SPI", "groups", "hardware", "broker", "clock", "disk", "database"]
    assert "sudo systemctl stop wallboard" in findings[2].fix


def test_every_check_has_its_line_and_readers_that_cannot_open_are_a_finding(tmp_path):
    def no_spi(_config):
        raise OSError("cannot open /dev/spidev0.0; is SPI enabled (dtparam=spi=on)?")

    findings = list(
        examine(
            config(tmp_path),
            host(tmp_path),
            build_readers=no_spi,
            pin_factory=lambda: choose_pin_factory({}, tmp_path / "no-model"),
        )
    )
    by_topic = {finding.topic: finding for finding in findings}
    assert list(by_topic) == ["SPI", "groups", "readers", "screen", "LEDs", "broker", "clock", "disk", "database"]
    assert by_topic["readers"].verdict is Verdict.FAIL and "dtparam=spi=on" in by_topic["readers"].detail
    assert by_topic["screen"].verdict is Verdict.OK and by_topic["screen"].detail.startswith("dummy draws")
    assert by_topic["LEDs"].verdict is Verdict.WARN and "not a Raspberry Pi" in by_topic["LEDs"].detail


TOPICS_IN_ORDER = ["SPI", "groups", "readers", "screen", "LEDs", "broker", "clock", "disk", "database"]


def test_the_doctor_command_prints_one_line_a_check_a_summary_and_fails_on_a_failure(tmp_path):
    (tmp_path / "wallboard.toml").write_text('language = "en"\n' + RC522_WALL)
    result = wallboard("doctor", cwd=tmp_path, check=False)
    *lines, last = result.stdout.splitlines()
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert [line.split()[1] for line in lines] == TOPICS_IN_ORDER
    assert lines[0].startswith("FAIL  SPI       no /dev/spidev0.*: SPI is off  -> sudo raspi-config nonint do_spi 0")
    verdicts = [line.split()[0] for line in lines]
    assert last == f"Summary: {verdicts.count('FAIL')} FAIL, {verdicts.count('warn')} warn, {verdicts.count('ok')} ok"


def test_on_a_dutch_wall_the_doctor_says_every_line_its_fix_and_the_summary_in_dutch(tmp_path):
    (tmp_path / "wallboard.toml").write_text(RC522_WALL)  # no language: Dutch
    result = wallboard("doctor", cwd=tmp_path, check=False)
    *lines, last = result.stdout.splitlines()
    assert result.returncode == 1
    # The verdict column is as wide as "let op", the topic column as before.
    assert [line[8:17].rstrip() for line in lines] == [
        "SPI",
        "groepen",
        "lezers",
        "scherm",
        "LEDs",
        "broker",
        "klok",
        "schijf",
        "database",
    ]
    assert lines[0] == (
        "FOUT    SPI       geen /dev/spidev0.*: SPI staat uit  -> sudo raspi-config nonint do_spi 0 "
        "(of dtparam=spi=on in /boot/firmware/config.txt), herstart de Pi"
    )
    assert "GiB vrij voor" in lines[7] and lines[8].endswith("bestaat niet  -> wallboard db upgrade maakt hem")
    verdicts = [line[:6].rstrip() for line in lines]
    assert set(verdicts) <= {"ok", "let op", "FOUT"}
    assert last == (
        f"Samenvatting: {verdicts.count('FOUT')} FOUT, {verdicts.count('let op')} let op, {verdicts.count('ok')} ok"
    )
    english = [
        word for word in ("FAIL", "warn", "Summary", "is off", "free for", "does not exist") if word in result.stdout
    ]
    assert english == []


def doctor_text_keys() -> set[str]:
    """Every catalogue key the doctor says: its texts, its verdicts and the topic of every finding it makes."""
    keys = {f"doctor.verdict.{verdict}" for verdict in Verdict} | {"doctor.summary"}
    for module in (doctor, sensors_doctor):
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if re.fullmatch(r"(doctor|readers)\.[\w.]*\w", node.value):
                    keys.add(node.value)
            elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == Finding.__name__:
                topic = node.args[1]
                assert isinstance(topic, ast.Constant), ast.unparse(node)  # a topic is a word, not computed
                keys.add(f"doctor.topic.{topic.value}")
    return keys


def test_every_doctor_finding_and_fix_is_in_dutch_and_english_with_the_same_values():
    keys = doctor_text_keys()
    assert {"doctor.spi.off.fix", "doctor.topic.database", "readers.answer"} <= keys  # the scan finds them

    def fields(template: str) -> set[str]:
        return {field for _, field, _, _ in string.Formatter().parse(template) if field}

    missing = sorted(key for key in keys for language in ("nl", "en") if key not in _STRINGS[language])
    assert missing == []
    assert [key for key in sorted(keys) if fields(_STRINGS["nl"][key]) != fields(_STRINGS["en"][key])] == []

"""The `wallboard` command as a new user runs it, in a subprocess."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from board.dev.demo import DEMO_COACHES, DEMO_PEOPLE

WALLBOARD = str(Path(sys.executable).parent / "wallboard")


def wallboard(*args, cwd, check=True):
    result = subprocess.run([WALLBOARD, *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"wallboard {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def test_init_writes_an_example_config_and_creates_the_database(initialised):
    assert (initialised / "wallboard.toml").exists()
    assert (initialised / "data" / "wallboard.db").exists()


def test_init_does_not_overwrite_an_existing_config(initialised):
    result = wallboard("init", cwd=initialised, check=False)
    assert result.returncode == 2 and "--force" in result.stderr


def test_people_and_coaches_added_from_the_cli_show_up(initialised):
    assert (
        "Sanne toegevoegd"
        in wallboard("person", "add", "Sanne", "--card", "04:a1:b2:c3:d4:e5:f6", cwd=initialised).stdout
    )
    wallboard("coach", "add", "Mo", "--badge", "C0AC0001", cwd=initialised)
    wallboard("coach", "add", "Sanne", "--badge", "C0AC0002", "--person", "sanne", cwd=initialised)
    taken = wallboard("person", "add", "Daan", "--card", "04A1B2C3D4E5F6", cwd=initialised, check=False)
    assert taken.returncode == 2 and "is al van Sanne" in taken.stderr


def test_status_shows_the_period_and_the_thermometer(initialised):
    out = wallboard("status", cwd=initialised).stdout
    assert "Thermometer: 0 van 50 pogingen (0 %)" in out and "Periode" in out
    data = json.loads(wallboard("status", "--json", cwd=initialised).stdout)
    assert len(data["slots"]) == 30 and data["period"]["goal"] == 50


def test_a_bad_config_exits_with_the_field_and_line_and_no_traceback(tmp_path):
    (tmp_path / "wallboard.toml").write_text('language = "fr"\n[[levels]]\nid="A"\nname="x"\nslots=["A1"]\n')
    result = wallboard("status", cwd=tmp_path, check=False)
    assert result.returncode == 2
    assert "line 1: language" in result.stderr and "Traceback" not in result.stderr


def test_db_upgrade_and_rebuild(initialised):
    assert "al bij de nieuwste versie" in wallboard("db", "upgrade", cwd=initialised).stdout
    assert "0 kaarten" in wallboard("db", "rebuild", cwd=initialised).stdout


def test_every_command_has_help(tmp_path):
    for command in (
        [],
        ["init"],
        ["run"],
        ["demo"],
        ["status"],
        ["db", "upgrade"],
        ["db", "rebuild"],
        ["person", "add"],
        ["coach", "add"],
        ["bench"],
    ):
        assert "Gebruik:" in wallboard(*command, "--help", cwd=tmp_path).stdout


SCENARIO = Path(__file__).parents[1] / "scenarios" / "morning.jsonl"


def test_a_scenario_replay_prints_the_resulting_events(tmp_path):
    result = wallboard(
        "demo",
        "--scenario",
        str(SCENARIO),
        "--headless",
        "--data-dir",
        str(tmp_path / "d"),
        "--start",
        "2026-11-23T09:00:00",
        cwd=tmp_path,
    )
    events = [json.loads(line) for line in result.stdout.splitlines()]
    summary = [(e["type"], e.get("person", {}).get("name"), e.get("slot"), e.get("reason")) for e in events]
    assert summary == [
        ("card_placed", "Sanne", "A1", None),
        ("card_placed", "Daan", "A2", None),
        ("card_placed", "Ilse", "A10", None),
        ("card_moved", "Sanne", "B2", None),
        ("attempt_confirmed", "Sanne", "B2", None),
        ("attempt_rejected", "Ilse", "A10", "self_confirm"),
        ("pad_opened", None, "pad", None),
        ("attempt_confirmed", "Daan", "pad", None),
        ("attempt_rejected", "Sanne", "pad", "duplicate"),
        ("pad_closed", None, "pad", "badge"),
        ("unknown_tag", None, "C5", None),
        ("card_off_wall", "Daan", "A2", None),
    ]
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert all(e["at"].startswith("2026-11-23T09:") and e["at"].endswith("+01:00") for e in events)


def test_status_after_a_replay_shows_where_everyone_is(tmp_path):
    data_dir = tmp_path / "d"
    wallboard("demo", "--scenario", str(SCENARIO), "--headless", "--data-dir", str(data_dir), cwd=tmp_path)
    out = wallboard("--config", str(data_dir / "wallboard.toml"), "status", cwd=tmp_path).stdout
    assert "B2  Sanne" in out and "Thermometer: 2 van 50" in out and "Omhoog deze periode: Sanne" in out


def test_a_broken_scenario_line_is_named(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"t": 0, "reader": "A1", "tags": []}\n{"t": 1, "reader": "Z9", "tags": []}\n')
    result = wallboard(
        "demo", "--scenario", str(bad), "--headless", "--data-dir", str(tmp_path / "d"), cwd=tmp_path, check=False
    )
    assert result.returncode == 2 and "bad.jsonl:2: no reader 'Z9'" in result.stderr


def test_the_demo_people_have_distinct_cards_and_badges():
    uids = [p.card for p in DEMO_PEOPLE] + [c.badge for c in DEMO_COACHES]
    assert len(set(uids)) == len(uids)


@pytest.mark.parametrize("command", [["status"], ["db", "upgrade"]])
def test_a_file_that_is_not_a_database_is_named_without_a_traceback(initialised, command):
    (initialised / "data" / "wallboard.db").write_text("not a database\n")
    for suffix in ("-wal", "-shm"):
        (initialised / "data" / f"wallboard.db{suffix}").unlink(missing_ok=True)
    result = wallboard(*command, cwd=initialised, check=False)
    assert result.returncode == 2
    assert "cannot open the database" in result.stderr and "Traceback" not in result.stderr


def test_a_data_dir_that_cannot_be_made_is_named_without_a_traceback(tmp_path):
    (tmp_path / "blocker").write_text("a file where the data folder should go\n")
    (tmp_path / "wallboard.toml").write_text('data_dir = "blocker/data"\n[[levels]]\nid="A"\nname="x"\nslots=["A1"]\n')
    result = wallboard("status", cwd=tmp_path, check=False)
    assert result.returncode == 2
    assert "blocker" in result.stderr and "Traceback" not in result.stderr


def test_looking_at_the_wall_records_nothing_next_to_a_running_service(initialised):
    import sqlite3

    wallboard("status", cwd=initialised)
    wallboard("screenshot", "--out", str(initialised / "shot.png"), cwd=initialised)
    with sqlite3.connect(initialised / "data" / "wallboard.db") as connection:
        assert connection.execute("SELECT count(*) FROM events").fetchone() == (0,)
    assert "Thermometer: 0 van 50" in wallboard("status", cwd=initialised).stdout


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["run", "--headless"],
        ["person", "add", "Sanne"],
        ["db", "upgrade"],
        ["screenshot", "--out", "shot.png"],
    ],
)
def test_a_typo_in_data_dir_never_starts_a_new_empty_wall_it_says_where_it_looked(initialised, command):
    config = initialised / "wallboard.toml"
    config.write_text(config.read_text().replace('data_dir = "data"', 'data_dir = "dat"'))
    result = wallboard(*command, cwd=initialised, check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"no database at {initialised / 'dat' / 'wallboard.db'}" in result.stderr
    assert "wallboard db create" in result.stderr
    assert not (initialised / "dat").exists()


def test_db_create_makes_the_database_of_a_config_written_by_hand(initialised):
    config = initialised / "wallboard.toml"
    config.write_text(config.read_text().replace('data_dir = "data"', 'data_dir = "elsewhere"'))
    wallboard("db", "create", cwd=initialised)
    assert (initialised / "elsewhere" / "wallboard.db").is_file()
    assert "Thermometer" in wallboard("status", cwd=initialised).stdout


def replay_demo(data_dir, cwd):
    return wallboard(
        "demo",
        "--scenario",
        str(SCENARIO),
        "--headless",
        "--data-dir",
        str(data_dir),
        "--start",
        "2026-11-23T09:00:00",
        cwd=cwd,
        check=False,
    )


def start_run(directory):
    import subprocess as sp
    import time

    process = sp.Popen([WALLBOARD, "run", "--headless"], cwd=directory, stdout=sp.DEVNULL, stderr=sp.PIPE, text=True)
    deadline = time.monotonic() + 60
    line = ""
    while "draait" not in line and time.monotonic() < deadline and process.poll() is None:
        line = process.stderr.readline()
    assert "draait" in line, "the first wall did not start"
    return process


def test_a_second_wall_on_the_same_data_refuses_and_says_who_holds_it(initialised):
    import signal

    first = start_run(initialised)
    try:
        second = wallboard("run", "--headless", cwd=initialised, check=False)
        assert second.returncode == 2 and "Traceback" not in second.stderr
        assert "in use by another wallboard" in second.stderr
        assert f"wallboard run, pid {first.pid}" in second.stderr
        demo = replay_demo(initialised / "data", initialised)  # nor may the demo wipe it meanwhile
        assert demo.returncode == 2 and f"pid {first.pid}" in demo.stderr
        assert (initialised / "data" / "wallboard.db").is_file()
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=20) == 0
    assert "Thermometer" in wallboard("status", cwd=initialised).stdout  # the lock went with the wall


def test_the_demo_never_wipes_a_folder_it_did_not_make(initialised):
    keep = initialised / "notes.txt"
    keep.write_text("mine\n")
    for folder in (initialised / "data", initialised):  # a real wall's data, and "."
        result = replay_demo(folder, initialised)
        assert result.returncode == 2 and "not a folder the demo made" in result.stderr
    assert keep.read_text() == "mine\n"
    assert (initialised / "data" / "wallboard.db").is_file()


def test_the_demo_starts_afresh_in_its_own_folder_every_time(tmp_path):
    first, second = replay_demo(tmp_path / "d", tmp_path), replay_demo(tmp_path / "d", tmp_path)
    assert first.returncode == second.returncode == 0
    assert first.stdout.count("card_placed") == second.stdout.count("card_placed") > 0


def test_a_demo_folder_from_before_the_mark_is_still_the_demos(tmp_path):
    assert replay_demo(tmp_path / "d", tmp_path).returncode == 0
    (tmp_path / "d" / ".wallboard-demo").unlink()
    assert replay_demo(tmp_path / "d", tmp_path).returncode == 0

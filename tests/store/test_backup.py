"""Backups through the `wallboard` command: taken while the wall runs, put back, and offered
when the database is found damaged at start."""

import sqlite3
import stat
import tarfile

from tests.app.test_cli import start_run, wallboard

SANNE_CARD = "04:11:22:33:44:55:66"


def backup_path(result) -> str:
    return result.stdout.strip().rsplit(": ", 1)[1]


def people_in(database) -> list[str]:
    with sqlite3.connect(database) as connection:
        return [name for (name,) in connection.execute("SELECT name FROM people ORDER BY id")]


def test_a_backup_taken_while_the_wall_runs_holds_the_database_and_photos_and_only_the_newest_are_kept(initialised):
    import signal

    wallboard("person", "add", "Sanne", "--card", SANNE_CARD, cwd=initialised)
    photos = initialised / "data" / "photos"
    photos.mkdir()
    (photos / "sanne.jpeg").write_bytes(b"\xff\xd8 a photo")
    running = start_run(initialised)
    try:
        archives = [
            backup_path(wallboard("db", "backup", "--to", "usb", "--keep", "2", cwd=initialised)) for _ in range(3)
        ]
    finally:
        running.send_signal(signal.SIGTERM)
        running.wait(timeout=20)
    kept = sorted(path.name for path in (initialised / "usb").iterdir())
    assert len(set(archives)) >= 2 and len(kept) <= 2 and archives[-1].endswith(kept[-1])
    with tarfile.open(archives[-1]) as archive:
        assert sorted(archive.getnames()) == ["photos/sanne.jpeg", "wallboard.db"]
        archive.extract("wallboard.db", initialised / "check", filter="data")
    assert people_in(initialised / "check" / "wallboard.db") == ["Sanne"]


def test_a_backup_is_put_back_and_the_database_it_replaces_is_kept(initialised):
    wallboard("person", "add", "Sanne", "--card", SANNE_CARD, cwd=initialised)
    archive = backup_path(wallboard("db", "backup", cwd=initialised))
    wallboard("person", "add", "Daan", cwd=initialised)
    (initialised / "data" / "photos").mkdir(exist_ok=True)
    restored = wallboard("db", "restore", archive, cwd=initialised)
    assert "wallboard.db.before-restore-" in restored.stdout
    assert people_in(initialised / "data" / "wallboard.db") == ["Sanne"]
    kept = next((initialised / "data").glob("wallboard.db.before-restore-*[0-9]"))
    assert people_in(kept) == ["Sanne", "Daan"]


def test_a_restore_while_the_wall_runs_is_refused(initialised):
    import signal

    archive = backup_path(wallboard("db", "backup", cwd=initialised))
    running = start_run(initialised)
    try:
        refused = wallboard("db", "restore", archive, cwd=initialised, check=False)
    finally:
        running.send_signal(signal.SIGTERM)
        running.wait(timeout=20)
    assert refused.returncode == 2 and f"wallboard run, pid {running.pid}" in refused.stderr


def test_a_damaged_database_is_moved_aside_at_start_and_the_newest_backup_is_offered(initialised):
    wallboard("person", "add", "Sanne", "--card", SANNE_CARD, cwd=initialised)
    archive = backup_path(wallboard("db", "backup", cwd=initialised))
    database = initialised / "data" / "wallboard.db"
    damaged = bytearray(database.read_bytes())
    for page in range(1, len(damaged) // 4096):  # every page after the first: garbage
        damaged[page * 4096 + 16 : page * 4096 + 400] = b"\xa5" * 384
    database.write_bytes(bytes(damaged))
    result = wallboard("run", "--headless", cwd=initialised, check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "is damaged" in result.stderr and f"wallboard db restore {archive}" in result.stderr
    assert not database.exists() and list((initialised / "data").glob("wallboard.db.damaged-*"))
    wallboard("db", "restore", archive, cwd=initialised)
    assert people_in(database) == ["Sanne"]
    assert "Thermometer" in wallboard("status", cwd=initialised).stdout


def test_the_data_folder_is_not_for_every_user_of_the_pi(initialised):
    wallboard("person", "add", "Sanne", cwd=initialised)
    archive = backup_path(wallboard("db", "backup", cwd=initialised))
    assert stat.S_IMODE((initialised / "data").stat().st_mode) == 0o750
    for path in (initialised / "data" / "wallboard.db", archive):
        assert stat.S_IMODE(__import__("os").stat(path).st_mode) == 0o640

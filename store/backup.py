"""Backups of a wall: its database (SQLite's online backup, consistent while the
service writes) and its photos, in one archive; a damaged database moved aside.

An archive holds `wallboard.db` and `photos/<name>`, nothing else; restoring
reads only those members, so a crafted archive cannot write outside the data folder.
"""

import os
import sqlite3
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path

from board.core.errors import StoreError
from board.core.settings import WallSettings

BACKUP_PREFIX = "wallboard-"
BACKUP_SUFFIX = ".tar.gz"
DATABASE_MEMBER = "wallboard.db"
PHOTOS_MEMBER = "photos"
FILE_MODE = 0o640


def default_backup_dir(config: WallSettings) -> Path:
    return config.data_dir / "backups"


def backups_in(folder: Path) -> list[Path]:
    """The backups in `folder`, oldest first (their names sort by time)."""
    if not folder.is_dir():
        return []
    return sorted(
        path for path in folder.iterdir() if path.name.startswith(BACKUP_PREFIX) and path.name.endswith(BACKUP_SUFFIX)
    )


def backup(config: WallSettings, folder: Path, keep: int, now: datetime) -> Path:
    """Write a backup archive into `folder` and delete all but the newest `keep`."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o750)
    # Milliseconds in the name: two backups within a second (a timer and a technician) are two
    # archives, and the names still sort by time.
    target = folder / f"{BACKUP_PREFIX}{now:%Y%m%d-%H%M%S}-{now.microsecond // 1000:03d}{BACKUP_SUFFIX}"
    with tempfile.TemporaryDirectory(dir=folder, prefix=".backup-") as scratch:
        copy = Path(scratch) / DATABASE_MEMBER
        source = sqlite3.connect(config.database_path)
        try:
            destination = sqlite3.connect(copy)
            with destination:
                source.backup(destination)
            destination.close()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot back up {config.database_path}: {exc}") from None
        finally:
            source.close()
        partial = Path(scratch) / target.name
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(copy, DATABASE_MEMBER)
            if config.photos_dir.is_dir():
                for photo in sorted(config.photos_dir.iterdir()):
                    if photo.is_file() and not photo.is_symlink():
                        archive.add(photo, f"{PHOTOS_MEMBER}/{photo.name}")
        os.chmod(partial, FILE_MODE)
        os.replace(partial, target)  # a backup cut short by a power cut is never mistaken for one
    for old in backups_in(folder)[:-keep] if keep > 0 else []:
        old.unlink()
    return target


def restore(config: WallSettings, archive_path: Path, now: datetime) -> Path | None:
    """Put a backup in place of the database and photos; the service must be stopped.

    The database it replaces is kept next to it (returned), never deleted.
    """
    try:
        archive = tarfile.open(archive_path, "r:*")
    except (OSError, tarfile.TarError) as exc:
        raise StoreError(f"{archive_path} is not a wallboard backup: {exc}") from None
    with archive, tempfile.TemporaryDirectory(dir=config.data_dir, prefix=".restore-") as scratch:
        members = {member.name: member for member in archive.getmembers() if member.isfile()}
        if DATABASE_MEMBER not in members:
            raise StoreError(f"{archive_path} is not a wallboard backup: it holds no {DATABASE_MEMBER}")
        restored = Path(scratch) / DATABASE_MEMBER
        restored.write_bytes(archive.extractfile(members[DATABASE_MEMBER]).read())
        problem = integrity_problem(restored)
        if problem:
            raise StoreError(f"the database in {archive_path} is damaged too: {problem}")
        kept = move_aside(config, f"before-restore-{now:%Y%m%d-%H%M%S}")
        config.photos_dir.mkdir(parents=True, exist_ok=True, mode=0o750)
        for name, member in members.items():
            folder, _, photo = name.partition("/")
            if folder == PHOTOS_MEMBER and photo and "/" not in photo and not photo.startswith("."):
                (config.photos_dir / photo).write_bytes(archive.extractfile(member).read())
                os.chmod(config.photos_dir / photo, FILE_MODE)
        os.chmod(restored, FILE_MODE)
        os.replace(restored, config.database_path)
    return kept


def integrity_problem(path: Path) -> str | None:
    """What PRAGMA integrity_check finds wrong with the database file, or None."""
    try:
        connection = sqlite3.connect(path)
        try:
            rows = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return None if rows == ["ok"] else "; ".join(rows[:3])


def move_aside(config: WallSettings, label: str) -> Path | None:
    """Rename the database (and its WAL and shared-memory files) to `<name>.<label>`."""
    database = config.database_path
    if not database.exists():
        return None
    for suffix in ("-wal", "-shm"):
        companion = database.with_name(database.name + suffix)
        if companion.exists():
            os.replace(companion, database.with_name(f"{database.name}.{label}{suffix}"))
    aside = database.with_name(f"{database.name}.{label}")
    os.replace(database, aside)
    return aside


def refuse_damaged_database(config: WallSettings, now: datetime) -> None:
    """At start: a database that fails integrity_check is moved aside, and the newest backup offered."""
    database = config.database_path
    problem = integrity_problem(database)
    if problem is None:
        return
    aside = move_aside(config, f"damaged-{now:%Y%m%d-%H%M%S}")
    newest = backups_in(default_backup_dir(config))
    offer = (
        f"put the newest backup back with: wallboard db restore {newest[-1]}"
        if newest
        else f"there is no backup in {default_backup_dir(config)}; wallboard db create starts an empty wall"
    )
    raise StoreError(f"the database {database} is damaged ({problem}); it was moved aside to {aside}. {offer}")

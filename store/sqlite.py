"""The wall's SQLite connections, on Python's own sqlite3 driver.

The running wall reads and writes through this module alone: SQLAlchemy's ORM and
Core cost ~30 MB of a Pi's memory (docs/architecture.md has the figures) and are
imported only to migrate (store.migrate) and by the company view. The pragmas the
wall's durability depends on live here once, for both drivers.
"""

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from board.core.errors import StoreError

# How long a connection waits for another writer (the CLI while the service runs)
# before giving up with "database is locked".
BUSY_TIMEOUT_MS = 5000
# Connections kept open for reuse: the service, the MQTT publisher and a request or a
# CLI read at once. More are opened when needed and closed after use.
IDLE_CONNECTIONS = 4


def prepare(connection: sqlite3.Connection) -> None:
    """The pragmas every connection to the wall's database gets, whichever driver opened it."""
    # BEGIN is issued by us (`Connections.write`, or SQLAlchemy's "begin" hook): the
    # sqlite3 module's implicit transactions would otherwise defer it unpredictably.
    connection.isolation_level = None
    cursor = connection.cursor()
    # WAL persists in the file: set it once, not on every connection. Readers
    # (status, screenshots) never block the writer and a crash mid-write leaves the
    # last committed transaction intact.
    if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        cursor.execute("PRAGMA journal_mode=WAL")
    # FULL syncs the WAL on every commit: a recorded move survives a power cut, at a
    # cost of a few ms per event, which a wall of people can afford.
    cursor.execute("PRAGMA synchronous=FULL")
    # SQLite leaves foreign keys off per connection unless asked, every time.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def make_folder(path: Path) -> None:
    """The database's folder, created private to the service's user when missing."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    except OSError as exc:
        raise StoreError(f"cannot create the database folder {path.parent}: {exc.strerror}") from None


def time_text(value: datetime) -> str:
    """An aware datetime as stored: UTC ISO 8601, so text order is time order."""
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored: attach the board's timezone")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def json_text(value: Any) -> str:
    """JSON as stored (json.dumps' defaults, as SQLAlchemy's JSON type writes it too)."""
    return json.dumps(value)


class Connections:
    """A small pool of prepared connections to one database file, shared by the wall's threads.

    Each connection serves one thread at a time (taken from the pool and given back),
    so transactions never interleave.
    """

    # Sees every statement of every store while set: the bench's query plans (board.dev.bench.statements).
    trace: ClassVar[Callable[[str], None] | None] = None

    def __init__(self, path: Path):
        self.path = path
        self._idle: list[sqlite3.Connection] = []

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            prepare(connection)
        except sqlite3.DatabaseError:
            connection.close()
            raise
        return connection

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """A connection for this thread alone until the block ends."""
        try:
            connection = self._idle.pop()  # list.pop and append are atomic: no lock needed
        except IndexError:
            connection = self._open()
        connection.set_trace_callback(Connections.trace)
        try:
            yield connection
        finally:
            if connection.in_transaction:  # a reader that stopped half-way, or a failed write
                connection.rollback()
            if len(self._idle) >= IDLE_CONNECTIONS:
                connection.close()
            else:
                self._idle.append(connection)

    @contextmanager
    def transaction(self, write: bool) -> Iterator[sqlite3.Connection]:
        """One transaction, committed when the block ends, rolled back when it raises.

        A write takes the write lock up front (BEGIN IMMEDIATE): a deferred one that
        read first fails at once with "database is locked" when another writer (the
        CLI, the MQTT publisher marking events sent) committed meanwhile, and
        busy_timeout cannot help it. A read sees one snapshot for all its queries.
        """
        with self.connection() as connection:
            connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield connection
            connection.execute("COMMIT")

    def close(self) -> None:
        """Close the idle connections (a later use opens new ones, as SQLAlchemy's dispose). Safe to call twice."""
        while self._idle:
            self._idle.pop().close()

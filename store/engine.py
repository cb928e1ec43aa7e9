"""Our own SQLite engine: the pragmas the wall's durability depends on."""

from pathlib import Path

from sqlalchemy import Engine, create_engine, event

from board.core.errors import StoreError

# How long a connection waits for another writer (the CLI while the service runs)
# before giving up with "database is locked".
BUSY_TIMEOUT_MS = 5000
WRITE_OPTION = "wallboard_write"  # execution option that makes a transaction BEGIN IMMEDIATE


def make_engine(url: str) -> Engine:
    path = url.removeprefix("sqlite:///")
    if path and path != ":memory:":
        folder = Path(path).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the database folder {folder}: {exc.strerror}") from None
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_connection, _record) -> None:
        # Let SQLAlchemy's "begin" hook below issue BEGIN itself; the sqlite3
        # module's implicit transactions would otherwise defer it unpredictably.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL persists in the file: set it once, not on every connection. Readers
        # (status, screenshots) never block the writer and a crash mid-write
        # leaves the last committed transaction intact.
        if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            cursor.execute("PRAGMA journal_mode=WAL")
        # FULL syncs the WAL on every commit: a recorded move survives a power cut,
        # at a cost of a few ms per event, which a wall of people can afford.
        cursor.execute("PRAGMA synchronous=FULL")
        # SQLite leaves foreign keys off per connection unless asked, every time.
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        # A write transaction takes the write lock up front: a deferred one that
        # read first fails at once with "database is locked" when another writer
        # (the CLI, the MQTT publisher marking events sent) committed meanwhile,
        # and busy_timeout cannot help it.
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine

"""The fleet database's engine and migrations: PostgreSQL in production, SQLite for a trial on one machine."""

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from board.core.errors import StoreError
from board.fleet.models import VERSION_TABLE
from store.engine import WRITE_OPTION, make_engine

MIGRATIONS = Path(__file__).parent / "migrations"
DEFAULT_URL = "sqlite:///fleet.db"  # the embedded default: a trial on one machine
MIGRATION_LOCK = 0x5741_4C4C  # "WALL": the advisory lock id held while the fleet schema migrates


def fleet_engine(url: str) -> Engine:
    """An engine for `url`: `postgresql+psycopg://user:password@host/db` or `sqlite:///path`.

    SQLite gets the wall's own pragmas (WAL, synchronous=FULL, busy timeout) and
    write transactions that take the lock up front, so two collectors on one
    machine queue instead of failing.
    """
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError:
        raise StoreError(f"not a database URL: {url!r} (postgresql+psycopg://... or sqlite:///...)") from None
    if backend == "sqlite":
        return make_engine(url).execution_options(**{WRITE_OPTION: True})
    if backend == "postgresql":
        return create_engine(url, pool_pre_ping=True)
    raise StoreError(f"the fleet database is PostgreSQL or SQLite, not {backend}")


def _alembic_config() -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_revision()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return _revision(connection)


def upgrade(engine: Engine) -> bool:
    """Bring the fleet database to the newest schema; True if anything was migrated.

    Collectors and dashboards that start together migrate one after the other: an
    advisory lock on PostgreSQL, the write lock taken up front on SQLite.
    """
    config = _alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        if _revision(connection) == head_revision():
            return False
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return True


def open_fleet(url: str) -> Engine:
    """The engine of a migrated fleet database."""
    engine = fleet_engine(url)
    upgrade(engine)
    return engine

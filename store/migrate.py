"""Alembic migrations, run from code: at every start and by `wallboard db upgrade`.

Alembic is imported only to migrate: a wall whose schema is current (every start but
the first after an update) learns that from one query and the scripts' `revision`
lines, and does not carry alembic's 11 MB in memory.
"""

import re
import sqlite3
from pathlib import Path

from store.sqlite import Connections

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"
_REVISION_LINE = re.compile(r"^(revision|down_revision)\b[^=\n]*=\s*(.+)$", re.MULTILINE)


def _alembic_config():
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest migration: the one no other migration names as its `down_revision`."""
    revisions, parents = set(), set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        for name, value in _REVISION_LINE.findall(script.read_text(encoding="utf-8")):
            ids = set(re.findall(r"['\"]([^'\"]+)['\"]", value))
            (revisions if name == "revision" else parents).update(ids)
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"the migrations in {MIGRATIONS} have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


def current_revision(connection: sqlite3.Connection) -> str | None:
    """The schema's revision as alembic recorded it, None for a database it never migrated."""
    if not connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSION_TABLE,)
    ).fetchone():
        return None
    row = connection.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone()
    return row[0] if row else None


def upgrade(connections: Connections) -> bool:
    """Bring the database to the newest schema; True if anything was migrated.

    Checks first, so an up-to-date database costs one query at start, and neither
    alembic nor SQLAlchemy is imported.
    """
    with connections.connection() as connection:
        if current_revision(connection) == head_revision():
            return False
    from alembic import command
    from sqlalchemy.exc import DBAPIError

    from store.engine import make_engine

    config = _alembic_config()
    engine = make_engine(f"sqlite:///{connections.path}")
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except DBAPIError as exc:  # the driver's own error, as the store reports it
        raise exc.orig from None
    finally:
        engine.dispose()
    return True

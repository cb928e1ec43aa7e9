"""Alembic migrations, run from code: at every start and by `wallboard db upgrade`.

Alembic is imported only when the schema is behind: a start on an up-to-date
database reads one row and lists one folder (importing alembic costs ~120 ms of CPU and
~10 MB here; see docs/architecture.md).
"""

from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

MIGRATIONS = Path(__file__).parent / "migrations"


def _alembic_config():
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest revision: each migration is `versions/<revision>_<what>.py`, numbered in order."""
    return max(path.name.split("_", 1)[0] for path in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


def current_revision(engine: Engine) -> str | None:
    """The database's revision; None for a database alembic has never touched."""
    with engine.connect() as connection:
        try:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except OperationalError as exc:
            if "no such table" not in str(exc.orig):
                raise
            return None


def upgrade(engine: Engine) -> bool:
    """Bring the database to the newest schema; True if anything was migrated.

    Checks first, so an up-to-date database costs one query at start.
    """
    if current_revision(engine) == head_revision():
        return False
    from alembic import command

    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return True

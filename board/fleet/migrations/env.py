"""Alembic environment of the fleet database: always handed a live connection by board.fleet.db."""

from alembic import context

from board.fleet.models import VERSION_TABLE, Base

connection = context.config.attributes["connection"]
# SQLite cannot ALTER most things; batch mode rebuilds tables instead.
context.configure(
    connection=connection, target_metadata=Base.metadata, render_as_batch=True, version_table=VERSION_TABLE
)
with context.begin_transaction():
    context.run_migrations()

"""Alembic environment: always handed a live connection by store.migrate."""

from alembic import context

from store.models import Base

connection = context.config.attributes["connection"]
# SQLite cannot ALTER most things; batch mode rebuilds tables instead.
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

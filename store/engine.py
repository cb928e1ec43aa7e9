"""A SQLAlchemy engine on the wall's database, with the wall's pragmas: for Alembic's
migrations and the company view's SQLite trial. The running wall uses store.sqlite."""

from pathlib import Path

from sqlalchemy import Engine, create_engine, event, make_url

from store.sqlite import make_folder, prepare

WRITE_OPTION = "wallboard_write"  # execution option that makes a transaction BEGIN IMMEDIATE


def make_engine(url: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        make_folder(Path(database))
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_connection, _record) -> None:
        prepare(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        # A write takes the write lock up front, as store.sqlite.Connections.transaction says why.
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine

"""The fleet database: every wall's events, keyed by (board_id, seq), and each wall's state derived from them.

One declarative base, typed SQLAlchemy 2.0 models, migrated by Alembic
(board/fleet/migrations, version table `fleet_alembic_version`). The same
models run on PostgreSQL (production) and SQLite (a trial on one machine).

`events` is the truth, as the walls recorded it. `walls`, `people` and `periods`
are derived: the collector folds each wall's events in seq order with the wall's
own `board.core.state.apply` and keeps the folded state in `walls.state` (the
wall's checkpoint format) with the seq it is folded up to.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

VERSION_TABLE = "fleet_alembic_version"  # so a fleet schema can share a database with others


class Instant(TypeDecorator):
    """An aware datetime: `timestamptz` on PostgreSQL, UTC ISO 8601 text on SQLite (text order = time order)."""

    impl = String(32)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(DateTime(timezone=True))
        return dialect.type_descriptor(String(32))

    def process_bind_param(self, value: datetime | None, dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: attach a timezone")
        if dialect.name == "postgresql":
            return value
        return value.astimezone(UTC).isoformat(timespec="microseconds")

    def process_result_value(self, value: Any, dialect) -> datetime | None:
        if value is None or isinstance(value, datetime):
            return value
        return datetime.fromisoformat(value)


Document = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    type_annotation_map = {datetime: Instant, dict[str, Any]: Document, list[Any]: Document}


class Wall(Base):
    """One wall as the company broker sees it: who it is, whether it is there, how far its events are folded."""

    __tablename__ = "walls"
    board_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))  # the board id until someone names it
    language: Mapped[str | None] = mapped_column(String(8))
    slots: Mapped[int] = mapped_column(default=0)  # size: slots on the wall (from its layout)
    people: Mapped[int] = mapped_column(default=0)  # size: people on the board, not archived
    online: Mapped[bool] = mapped_column(default=False)  # its retained availability
    availability_at: Mapped[datetime | None]  # when the collector last heard online/offline
    last_seen: Mapped[datetime | None]  # the last message of any kind from it
    last_event_at: Mapped[datetime | None]  # `at` of the newest stored event (quiet walls: no events for a day)
    last_seq: Mapped[int] = mapped_column(default=0)  # folded up to here: every seq up to it is stored
    max_seq: Mapped[int] = mapped_column(default=0)  # the highest seq stored; > last_seq means a gap
    gap_since: Mapped[datetime | None]  # when the collector first saw the current gap
    levels: Mapped[list[Any]] = mapped_column(default=list)  # [{"id", "name", "slots": [...]}], bottom first
    state: Mapped[dict[str, Any] | None]  # board.core.state.checkpoint_of(folded state)
    snapshot: Mapped[dict[str, Any] | None]  # its latest retained `state` message, as published
    # The open period, copied from the folded state for the dashboard's queries.
    period_id: Mapped[int | None]
    goal: Mapped[int | None]
    attempts: Mapped[int] = mapped_column(default=0)  # confirmed, not voided, in the open period


class Event(Base):
    """One event as the wall published it; a repeat of (board_id, seq) is never stored twice."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_board_type_at", "board_id", "type", "at"),
        Index("ix_events_board_period", "board_id", "period_id"),
    )
    board_id: Mapped[str] = mapped_column(ForeignKey("walls.board_id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]  # when the wall recorded it
    period_id: Mapped[int | None]  # the wall's period the event belongs to (set when folded)
    person_id: Mapped[int | None]
    coach_id: Mapped[int | None]
    slot_id: Mapped[str | None] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]]  # the event exactly as published (WallEvent.as_payload)
    stored_at: Mapped[datetime]  # when the collector wrote it: lag = stored_at - at
    stored_by: Mapped[str | None] = mapped_column(String(64))  # the collector's client id


class Person(Base):
    """A person on a wall: their name as the events last gave it, and where their card hangs."""

    __tablename__ = "people"
    board_id: Mapped[str] = mapped_column(ForeignKey("walls.board_id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str | None] = mapped_column(String(100))
    archived: Mapped[bool] = mapped_column(default=False)
    slot_id: Mapped[str | None] = mapped_column(String(32))  # None: not on the wall
    level: Mapped[int | None]  # 0 = bottom; None off the wall or in a slot the layout no longer has
    since: Mapped[datetime | None]
    moved_up_at: Mapped[datetime | None]  # in the open period


class Period(Base):
    """A wall's period with its goal and its confirmed attempts; the count freezes when the next one starts."""

    __tablename__ = "periods"
    board_id: Mapped[str] = mapped_column(ForeignKey("walls.board_id"), primary_key=True)
    period_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    goal: Mapped[int]
    attempts: Mapped[int] = mapped_column(default=0)
    goal_reached: Mapped[bool] = mapped_column(default=False)

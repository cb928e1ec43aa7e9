"""Typed SQLAlchemy 2.0 models on one declarative base: the schema Alembic migrates.

The running wall reads and writes these tables with plain SQL (store.repository).

The `events` table is the source of truth and is only ever appended to. `positions`
is derived from it (see store.projection) and can be rebuilt. People, cards and
coaches are never deleted: history must keep pointing at them.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from store.sqlite import time_text


class AwareDateTime(TypeDecorator):
    """Aware datetimes stored as UTC ISO 8601 text.

    SQLite has no time type; storing UTC keeps text order equal to time order, so
    range queries (today's attempts) stay simple and indexable.
    """

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> str | None:
        return None if value is None else time_text(value)

    def process_result_value(self, value: str | None, dialect) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: AwareDateTime, dict[str, Any]: JSON}


class Level(Base):
    __tablename__ = "levels"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    position: Mapped[int]  # 0 = bottom
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # false once gone from the config


class Slot(Base):
    __tablename__ = "slots"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    level_id: Mapped[str] = mapped_column(ForeignKey("levels.id"))
    position: Mapped[int]
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Person(Base):
    __tablename__ = "people"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    photo: Mapped[str | None] = mapped_column(String(255))  # file name under <data_dir>/photos
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class Card(Base):
    __tablename__ = "cards"
    uid: Mapped[str] = mapped_column(String(20), primary_key=True)  # normalised hex
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))  # None once unassigned
    assigned_at: Mapped[datetime]


class Coach(Base):
    __tablename__ = "coaches"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    badge_uid: Mapped[str] = mapped_column(String(20), unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))  # a coach on the wall too
    removed: Mapped[bool] = mapped_column(Boolean, default=False)


class Period(Base):
    __tablename__ = "periods"
    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    goal: Mapped[int]
    # Confirmed, non-voided attempts: kept by Writer.append in the attempt's own transaction,
    # so the thermometer is one row read, never a count over the period's attempts.
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")


class Event(Base):
    __tablename__ = "events"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    type: Mapped[str] = mapped_column(String(32), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    slot_id: Mapped[str | None] = mapped_column(String(32))  # plain text: slots may leave the config
    coach_id: Mapped[int | None] = mapped_column(ForeignKey("coaches.id"))
    uid: Mapped[str | None] = mapped_column(String(20))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Outbox(Base):
    """Events not yet acknowledged by the MQTT broker, written with the event itself."""

    __tablename__ = "outbox"
    seq: Mapped[int] = mapped_column(ForeignKey("events.seq"), primary_key=True)


class Attempt(Base):
    __tablename__ = "attempts"
    __table_args__ = (Index("ix_attempts_period_voided", "period_id", "voided"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    coach_id: Mapped[int | None] = mapped_column(ForeignKey("coaches.id"))  # None: added by an admin
    at: Mapped[datetime] = mapped_column(index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"))
    via: Mapped[str] = mapped_column(String(8))  # slot | pad | manual
    slot_id: Mapped[str | None] = mapped_column(String(32))
    event_seq: Mapped[int] = mapped_column(ForeignKey("events.seq"))
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    void_reason: Mapped[str | None] = mapped_column(Text)


class Checkpoint(Base):
    """The wall's state as of event `seq` (one row), so a start replays only the events after it."""

    __tablename__ = "checkpoint"
    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    format: Mapped[int]  # board.core.state.CHECKPOINT_FORMAT when written
    seq: Mapped[int] = mapped_column(ForeignKey("events.seq"))
    state: Mapped[dict[str, Any]]


class Position(Base):
    """Where each person's card is now. Derived from the event log."""

    __tablename__ = "positions"
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    slot_id: Mapped[str] = mapped_column(String(32))
    since: Mapped[datetime]
    seq: Mapped[int] = mapped_column(ForeignKey("events.seq"))

"""The store: opens and migrates the database, loads state, records events.

Every write goes through `Store.write()`, one transaction in which each event is
appended to the log, queued in the outbox and projected, so a crash leaves
either all of it or none.
"""

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Row, func, make_url, or_, select, text, update
from sqlalchemy.exc import DatabaseError, DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from board.core.errors import CommandError, StoreError
from board.core.events import Draft, EventType, WallEvent
from board.core.harvest import PeriodSpan
from board.core.settings import WallSettings
from board.core.state import (
    CHECKPOINT_FORMAT,
    READABLE_CHECKPOINT_FORMATS,
    CoachInfo,
    Directory,
    PersonInfo,
    WallState,
    apply,
    checkpoint_of,
    state_from_checkpoint,
)
from store import migrate
from store.engine import WRITE_OPTION, make_engine
from store.models import Attempt, Card, Checkpoint, Coach, Event, Level, Outbox, Period, Person, Position, Slot
from store.projection import positions_of, project_position

REPLAY_BATCH = 10_000  # events read per round trip while the state is replayed
# A checkpoint after this many events keeps a start (replaying the events after the
# checkpoint, ~10 µs each) within a few tens of ms; the checkpoint holds counts, not
# lists, so writing it this often costs little. Figures in docs/architecture.md.
CHECKPOINT_EVERY = 1_000


def to_wall_event(row: Event | Row[Any], tz) -> WallEvent:
    return WallEvent(
        seq=row.seq,
        at=row.at.astimezone(tz),
        type=EventType(row.type),
        person_id=row.person_id,
        slot_id=row.slot_id,
        coach_id=row.coach_id,
        uid=row.uid,
        details=dict(row.details),
    )


def require_database(config: WallSettings) -> None:
    """A StoreError saying where we looked when the config's database is not there."""
    path = make_url(config.database_url).database
    if path and path != ":memory:" and not Path(path).is_file():
        raise StoreError(
            f"no database at {Path(path).resolve()} (data_dir = {config.data_dir}); check data_dir "
            "in the config, or create a new wall's database with: wallboard db create"
        )


class Store:
    def __init__(self, config: WallSettings, checkpoint_every: int = CHECKPOINT_EVERY, *, create: bool = True):
        """`create=False` (every command but init and the demo): a database that is not
        there is a StoreError saying where we looked, never a new, empty wall."""
        self.config = config
        if not create:
            require_database(config)
        self.checkpoint_every = checkpoint_every
        self._checkpoint_seq = 0
        self.engine = make_engine(config.database_url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def open(self) -> "Store":
        """Migrate if needed and make the levels and slots match the config."""
        self.upgrade()
        with self.write() as writer:
            writer.sync_layout()
        return self

    def upgrade(self) -> bool:
        """Bring the database to the newest schema; True if anything was migrated.

        A file that cannot be opened (or is no SQLite database) is a StoreError
        naming it, which the CLI shows as one line.
        """
        try:
            return migrate.upgrade(self.engine)
        except DatabaseError as exc:
            raise StoreError(f"cannot open the database {self.config.database_url}: {exc.orig}") from None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self.open()

    def __exit__(self, *exc_info) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator["Writer"]:
        """One write transaction; a write the database refuses (a full disk) is a StoreError."""
        try:
            with self._sessions.begin() as session:
                session.connection(execution_options={WRITE_OPTION: True})
                yield Writer(session, self.config)
        except DBAPIError as exc:
            raise StoreError(f"the database refused a write: {exc.orig}") from exc

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    # -- loading ---------------------------------------------------------------

    def load_directory(self) -> Directory:
        with self.read() as session:
            people = {p.id: PersonInfo(p.id, p.name, p.photo, p.archived) for p in session.scalars(select(Person))}
            cards = {c.uid: c.person_id for c in session.scalars(select(Card).where(Card.person_id.is_not(None)))}
            coaches = {
                c.id: CoachInfo(c.id, c.name, c.badge_uid, c.person_id)
                for c in session.scalars(select(Coach).where(Coach.removed.is_(False)))
            }
        return Directory(people, cards, coaches)

    def load_state(self) -> tuple[WallState, int]:
        """The wall as the log leaves it, and the seq of the last event folded into it.

        The latest checkpoint with every event after it folded in, in order, as the
        service folds them live; the whole log when there is no usable checkpoint.
        """
        with self.read() as session:
            checkpoint = session.get(Checkpoint, 1)
        # Its attempts are counted by local day: a checkpoint from before a change of
        # the board's timezone would count them by the wrong days.
        if (
            checkpoint is None
            or checkpoint.format not in READABLE_CHECKPOINT_FORMATS
            or checkpoint.state.get("timezone", self.config.timezone) != self.config.timezone
        ):
            self._checkpoint_seq = 0
            return self.replay()
        self._checkpoint_seq = checkpoint.seq
        return self.replay(state_from_checkpoint(checkpoint.state, self.config.tz), checkpoint.seq)

    def replay(self, state: WallState | None = None, after: int = 0) -> tuple[WallState, int]:
        """Fold every event after seq `after` into `state` (by default an empty one), in log order.

        Returns the state and the seq of the last event in it.
        """
        state = WallState() if state is None else state
        seq = after
        for event in self.events_after(after):
            apply(state, event)
            seq = event.seq
        return state, seq

    def checkpoint(self, state: WallState, seq: int) -> None:
        """Keep `state` (folded up to event `seq`) as the checkpoint once `checkpoint_every` events have passed."""
        if seq - self._checkpoint_seq < self.checkpoint_every:
            return
        with self.write() as writer:
            data = checkpoint_of(state) | {"timezone": self.config.timezone}
            writer.session.merge(Checkpoint(id=1, format=CHECKPOINT_FORMAT, seq=seq, state=data))
        self._checkpoint_seq = seq

    def events_after(self, seq: int) -> Iterator[WallEvent]:
        """Every event after `seq`, oldest first, read in batches rather than all at once."""
        with self.engine.connect() as connection:
            rows = connection.execution_options(yield_per=REPLAY_BATCH).execute(
                select(Event.__table__).where(Event.seq > seq).order_by(Event.seq)
            )
            for row in rows:
                yield to_wall_event(row, self.config.tz)

    # -- queries ----------------------------------------------------------------

    def thermometer(self, period_id: int) -> int:
        """Confirmed, non-voided attempts in a period: the thermometer's value, as counted when written."""
        with self.read() as session:
            return session.scalar(select(Period.attempts).where(Period.id == period_id)) or 0

    def periods(self) -> list[PeriodSpan]:
        """Every recorded period, oldest first."""
        tz = self.config.tz
        with self.read() as session:
            return [
                PeriodSpan(p.starts_at.astimezone(tz), p.ends_at.astimezone(tz), p.id, p.goal)
                for p in session.scalars(select(Period).order_by(Period.id))
            ]

    def log_until(
        self,
        types: Collection[EventType],
        until: datetime,
        always: Collection[EventType] = (),
        person_id: int | None = None,
    ) -> list[WallEvent]:
        """Events of `types` before `until`, and of `always` at any time, in log order; `person_id`
        keeps one person's events of `types` (those of `always` stay, whoever they are about)."""
        kept = or_(Event.at < until, Event.type.in_([str(t) for t in always]))
        if person_id is not None:
            kept = kept & or_(Event.person_id == person_id, Event.type.in_([str(t) for t in always]))
        columns = (
            Event.seq,
            Event.at,
            Event.type,
            Event.person_id,
            Event.slot_id,
            Event.coach_id,
            Event.uid,
            Event.details,
        )  # plain rows: a long log loads several times faster than as ORM objects
        with self.read() as session:
            rows = session.execute(
                select(*columns).where(Event.type.in_([str(t) for t in (*types, *always)]), kept).order_by(Event.seq)
            )
            return [to_wall_event(row, self.config.tz) for row in rows]

    def last_seq(self) -> int:
        with self.read() as session:
            return session.scalar(select(func.max(Event.seq))) or 0

    def last_event_at(self) -> datetime | None:
        """When the newest event was recorded, in the wall's timezone."""
        with self.read() as session:
            row = session.scalars(select(Event).order_by(Event.seq.desc()).limit(1)).first()
            return to_wall_event(row, self.config.tz).at if row is not None else None

    def events_since(self, seq: int, limit: int) -> list[WallEvent]:
        with self.read() as session:
            rows = session.scalars(select(Event).where(Event.seq > seq).order_by(Event.seq).limit(limit))
            return [to_wall_event(row, self.config.tz) for row in rows]

    def attempt(self, attempt_id: int) -> Attempt | None:
        with self.read() as session:
            return session.get(Attempt, attempt_id)

    def coach_name(self, coach_id: int) -> str | None:
        """A coach's name, also of one removed since: history keeps who confirmed."""
        with self.read() as session:
            coach = session.get(Coach, coach_id)
            return coach.name if coach else None

    def outbox_size(self) -> int:
        with self.read() as session:
            return session.scalar(select(func.count()).select_from(Outbox))

    def pending_outbox(self, limit: int, after: int = 0) -> list[WallEvent]:
        """Events the broker has not acknowledged yet, oldest first, from seq `after` + 1 on."""
        with self.read() as session:
            rows = session.scalars(
                select(Event)
                .join(Outbox, Outbox.seq == Event.seq)
                .where(Event.seq > after)
                .order_by(Event.seq)
                .limit(limit)
            )
            return [to_wall_event(row, self.config.tz) for row in rows]

    def mark_sent(self, seqs: Collection[int]) -> None:
        """Drop acknowledged events from the outbox, all in one transaction (one fsync)."""
        with self.write() as writer:
            writer.session.execute(Outbox.__table__.delete().where(Outbox.seq.in_(seqs)))

    def rebuild_positions(self) -> int:
        """Recompute `positions` from the whole event log; returns cards on the wall."""
        positions = positions_of(self.events_after(0))
        with self.write() as writer:
            writer.session.execute(Position.__table__.delete())
            writer.session.add_all(positions)
        return len(positions)

    def integrity_check(self) -> str:
        with self.engine.connect() as connection:
            return connection.execute(text("PRAGMA integrity_check")).scalar_one()


@dataclass
class Writer:
    """Everything written inside one transaction."""

    session: Session
    config: WallSettings

    def append(self, draft: Draft, at: datetime) -> WallEvent:
        """Record one event: the log row, its outbox entry and what derives from it."""
        details: dict[str, Any] = dict(draft.details)
        if draft.type is EventType.PERIOD_STARTED:
            starts_at = datetime.fromisoformat(details["starts_at"])
            # A period closed early by an admin ends where the new one starts.
            self.session.execute(update(Period).where(Period.ends_at > starts_at).values(ends_at=starts_at))
            period = Period(
                starts_at=starts_at, ends_at=datetime.fromisoformat(details["ends_at"]), goal=details["goal"]
            )
            self.session.add(period)
            self.session.flush()
            details["period_id"] = period.id
        elif draft.type is EventType.GOAL_SET and details["period_id"] is not None:
            self.session.get(Period, details["period_id"]).goal = details["goal"]
        elif draft.type is EventType.ATTEMPT_VOIDED:
            details |= self._void(details["attempt_id"], details["reason"])
        row = Event(
            at=at,
            type=str(draft.type),
            person_id=draft.person_id,
            slot_id=draft.slot_id,
            coach_id=draft.coach_id,
            uid=draft.uid,
            details=details,
        )
        self.session.add(row)
        self.session.flush()
        if draft.type is EventType.ATTEMPT_CONFIRMED:
            attempt = Attempt(
                person_id=draft.person_id,
                coach_id=draft.coach_id,
                at=at,
                period_id=details["period_id"],
                via=details["via"],
                slot_id=draft.slot_id,
                event_seq=row.seq,
            )
            self.session.add(attempt)
            self._count(attempt.period_id, 1)
            self.session.flush()
            row.details = details | {"attempt_id": attempt.id}
        event = to_wall_event(row, self.config.tz)
        project_position(self.session, event)
        self.session.add(Outbox(seq=row.seq))
        self.session.flush()
        return event

    def _void(self, attempt_id: int, reason: str) -> dict[str, Any]:
        """Void an attempt and count it out; returns what the fold needs to count it out too.

        Checked here, inside the write: a second void (the CLI's, next to a running wall)
        would count the attempt out twice.
        """
        attempt = self.session.get(Attempt, attempt_id)
        if attempt.voided:
            raise CommandError.said("conflict", "error.already_voided", id=attempt_id)
        attempt.voided, attempt.void_reason = True, reason
        self._count(attempt.period_id, -1)
        return {"period_id": attempt.period_id, "attempted_at": attempt.at.astimezone(self.config.tz).isoformat()}

    def _count(self, period_id: int, step: int) -> None:
        self.session.execute(update(Period).where(Period.id == period_id).values(attempts=Period.attempts + step))

    def sync_layout(self) -> None:
        """Make the levels and slots tables match the config; old ones stay, inactive.

        Only what differs is written (the session skips values set to what they were):
        a start with an unchanged config writes nothing.
        """
        levels = [Level(id=level.id, name=level.name, position=i) for i, level in enumerate(self.config.levels)]
        slots = [
            Slot(id=slot_id, level_id=level.id, position=i)
            for level in self.config.levels
            for i, slot_id in enumerate(level.slots)
        ]
        for table, rows, columns in ((Level, levels, ("name", "position")), (Slot, slots, ("level_id", "position"))):
            stored = {row.id: row for row in self.session.scalars(select(table))}
            for row in rows:
                known = stored.pop(row.id, None)
                if known is None:
                    self.session.add(row)
                    continue
                for column in columns:
                    setattr(known, column, getattr(row, column))
                known.active = True
            for gone in stored.values():
                gone.active = False
            self.session.flush()  # the levels before the slots that name them

    # -- the directory (admin work) --------------------------------------------

    def add_person(self, name: str, at: datetime, photo: str | None = None) -> WallEvent:
        person = Person(name=name, photo=photo, created_at=at)
        self.session.add(person)
        self.session.flush()
        return self.append(
            Draft(EventType.PERSON_ADDED, person_id=person.id, details={"person_name": name, "photo": photo}), at
        )

    def assign_card(self, uid: str, person: PersonInfo, at: datetime) -> WallEvent:
        """Checked here, inside the write: a directory read a moment ago (the CLI's, next to
        a running service) may not know the card was handed out since."""
        if self._badge_owner(uid) is not None:
            raise CommandError.said("conflict", "error.tag_is_badge", uid=uid)
        card = self.session.get(Card, uid)
        if card is not None and card.person_id is not None and card.person_id != person.id:
            owner = self.session.get(Person, card.person_id)
            raise CommandError.said("conflict", "error.card_taken", uid=uid, person=owner.name)
        if card is None:
            self.session.add(Card(uid=uid, person_id=person.id, assigned_at=at))
        else:
            card.person_id, card.assigned_at = person.id, at
        return self.append(
            Draft(EventType.CARD_ASSIGNED, person_id=person.id, uid=uid, details={"person_name": person.name}), at
        )

    def _badge_owner(self, uid: str) -> Coach | None:
        """The active coach whose badge this tag is."""
        return self.session.scalars(select(Coach).where(Coach.badge_uid == uid, Coach.removed.is_(False))).first()

    def add_coach(self, name: str, badge: str, at: datetime, person: PersonInfo | None = None) -> WallEvent:
        """Refused here, inside the write, when the tag became a card or a badge meanwhile."""
        if self.session.scalars(select(Card).where(Card.uid == badge, Card.person_id.is_not(None))).first():
            raise CommandError.said("conflict", "error.card_not_badge", uid=badge)
        taken = self._badge_owner(badge)
        if taken is not None:
            raise CommandError.said("conflict", "error.badge_taken", uid=badge, coach=taken.name)
        coach = self.session.scalars(select(Coach).where(Coach.badge_uid == badge)).first()
        if coach is None:
            coach = Coach(name=name, badge_uid=badge)
            self.session.add(coach)
        coach.name, coach.removed, coach.person_id = name, False, person.id if person else None
        self.session.flush()
        return self.append(
            Draft(
                EventType.COACH_ADDED,
                coach_id=coach.id,
                uid=badge,
                person_id=coach.person_id,
                details={"coach_name": name},
            ),
            at,
        )

    def update_person(self, person: PersonInfo, name: str | None, photo: str | None, at: datetime) -> WallEvent:
        row = self.session.get(Person, person.id)
        row.name = name or row.name
        row.photo = photo or row.photo
        return self.append(
            Draft(EventType.PERSON_UPDATED, person_id=person.id, details={"person_name": row.name, "photo": row.photo}),
            at,
        )

    def archive_person(self, person: PersonInfo, at: datetime) -> WallEvent:
        """Archived people keep their history; their cards are free again."""
        self.session.get(Person, person.id).archived = True
        self.session.execute(update(Card).where(Card.person_id == person.id).values(person_id=None))
        return self.append(
            Draft(EventType.PERSON_ARCHIVED, person_id=person.id, details={"person_name": person.name}), at
        )

    def unassign_card(self, uid: str, person: PersonInfo, at: datetime) -> WallEvent:
        self.session.get(Card, uid).person_id = None
        return self.append(
            Draft(EventType.CARD_UNASSIGNED, person_id=person.id, uid=uid, details={"person_name": person.name}), at
        )

    def remove_coach(self, coach: CoachInfo, at: datetime) -> WallEvent:
        self.session.get(Coach, coach.id).removed = True
        return self.append(
            Draft(EventType.COACH_REMOVED, coach_id=coach.id, uid=coach.badge, details={"coach_name": coach.name}), at
        )
